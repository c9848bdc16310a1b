"""`royalty-ledger verify-statement` against the live app, then against a database altered
behind the service's back: every alteration is caught and named."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection
from sqlmodel import Session

from service.client import cli
from service.ledger import log
from tests.factories import bearer
from tests.transparency.conftest import Month, post_sales, without_guards

NOT_VERIFIED = 5


def _run(month: Month, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    argv = ["verify-statement", month.statement["id"], "--public-key", month.public_key, *extra]
    code = cli.main(argv, client=month.society())
    out, err = capsys.readouterr()
    return code, (out + err).strip()


def _roms_sequences(connection: Connection, month: Month) -> list[int]:
    rows = connection.exec_driver_sql(
        "SELECT DISTINCT sequence FROM ledger_leg WHERE account = "
        f"'society:{month.world.roms}' ORDER BY sequence"
    )
    return [r[0] for r in rows]


def test_a_society_verifies_every_line_of_a_real_month(
    month: Month, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trusted = tmp_path / "trusted-sth.json"
    code, said = _run(month, capsys, "--all", "--trusted-sth", str(trusted))
    assert code == 0, said
    lines = month.statement["line_count"]
    assert said.startswith(f"statement {month.statement['id']} verifies: {lines} line(s)")
    assert json.loads(trusted.read_text())["tree_size"] > 0
    code, said = _run(month, capsys, "--sample", "3", "--trusted-sth", str(trusted))
    assert code == 0 and "3 inclusion proof(s)" in said


def test_a_wrong_public_key_fails(month: Month, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["verify-statement", month.statement["id"], "--public-key", "A" * 43 + "="]
    code = cli.main(argv, client=month.society())
    assert code == NOT_VERIFIED
    assert "signed by another key" in capsys.readouterr().err


def _alter_amount(c: Connection, month: Month) -> str:
    seq = _roms_sequences(c, month)[0]
    c.exec_driver_sql(
        "UPDATE ledger_leg SET amount = amount + 1 WHERE sequence = "
        f"{seq} AND account = 'society:{month.world.roms}'"
    )
    return f"leaf {seq - 1}"


def _alter_own_salt(c: Connection, month: Month) -> str:
    seq = _roms_sequences(c, month)[1]
    c.exec_driver_sql(
        f"UPDATE ledger_leg SET salt = NULL WHERE sequence = {seq} "
        f"AND account = 'society:{month.world.roms}'"
    )
    return f"leaf {seq - 1}"


def _alter_others_salt(c: Connection, month: Month) -> str:
    seq = _roms_sequences(c, month)[2]
    c.exec_driver_sql(
        f"UPDATE ledger_leg SET salt = NULL WHERE sequence = {seq} "
        "AND account = 'store:allofmp3'"  # the world's store
    )
    return f"leaf {seq - 1}"


def _alter_header(c: Connection, month: Month) -> str:
    seq = _roms_sequences(c, month)[0]
    c.exec_driver_sql(f"UPDATE ledger_transaction SET reference = 'forged' WHERE sequence = {seq}")
    return f"leaf {seq - 1}"


def _delete_transaction(c: Connection, month: Month) -> str:
    seq = _roms_sequences(c, month)[0]
    c.exec_driver_sql(f"DELETE FROM ledger_leg WHERE sequence = {seq}")
    c.exec_driver_sql(f"DELETE FROM ledger_transaction WHERE sequence = {seq}")
    # Its legs are gone from the evidence: the converted USD royalties no longer match the
    # conversion the close booked (the hash chain names the sequence).
    return "royalties in USD"


def _reorder_two(c: Connection, month: Month) -> str:
    first, second = _roms_sequences(c, month)[:2]
    c.exec_driver_sql(
        f"UPDATE ledger_leg SET sequence = CASE sequence WHEN {first} THEN {second} "
        f"ELSE {first} END WHERE sequence IN ({first}, {second})"
    )
    return f"leaf {first - 1}"


TAMPERING: dict[str, Callable[[Connection, Month], str]] = {
    "leg amount": _alter_amount,
    "own salt": _alter_own_salt,
    "another party's salt": _alter_others_salt,
    "header": _alter_header,
    "deleted transaction": _delete_transaction,
    "two transactions reordered": _reorder_two,
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_is_caught_and_named(
    how: str, month: Month, connection: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    without_guards(connection, "ledger_leg", "ledger_transaction")
    where = TAMPERING[how](connection, month)
    code, said = _run(month, capsys, "--all")
    assert code == NOT_VERIFIED, said
    assert "does NOT verify" in said and where in said, said
    audit = month.client.get("/v1/transparency/audit", headers=month.api.admin).json()
    assert audit["ok"] is False and audit["first_bad_leaf"] is not None
    if "salt" not in how:  # the hash chain does not cover salts; the audit above does
        verify = month.client.get("/v1/ledger/verify", headers=month.api.admin).json()
        assert verify["ok"] is False and verify["first_bad_sequence"] is not None


def test_a_rewritten_closed_month_breaks_consistency(
    month: Month,
    connection: Connection,
    session: Session,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signer_record: Path,
) -> None:
    """The operator alters November, rebuilds the whole tree from the altered rows and
    closes December: the December statement's STH is signed, its proofs are consistent
    with the rewritten tree, but not with the November STH the society trusted."""
    trusted = tmp_path / "trusted-sth.json"
    assert _run(month, capsys, "--all", "--trusted-sth", str(trusted))[0] == 0
    without_guards(connection, "ledger_leg")
    _alter_amount(connection, month)
    connection.exec_driver_sql("DELETE FROM merkle_tile")
    session.expire_all()
    log.catch_up(session, upto=month.statement["ledger_head"]["sequence"])
    session.flush()
    post_sales(month.client, month.world, 3, day="2006-12-04")
    # The signer's own record refuses to sign the rewritten tree (issue #29) ...
    refused = month.client.post("/v1/periods/2006-12/close", headers=month.api.admin)
    assert (refused.status_code, refused.json()["code"]) == (409, "signer_refused")
    # ... so an operator determined to sign it removes the record beside its own key: the
    # society's trusted head still catches the rewrite.
    signer_record.unlink()
    assert (
        month.client.post("/v1/periods/2006-12/close", headers=month.api.admin).status_code == 201
    )
    [december] = [
        s
        for s in month.client.get(
            "/v1/statements", params={"period": "2006-12"}, headers=bearer(month.society_token)
        ).json()["data"]
    ]
    argv = [
        "verify-statement",
        december["id"],
        "--public-key",
        month.public_key,
        "--trusted-sth",
        str(trusted),
    ]
    code = cli.main(argv, client=month.society())
    err = capsys.readouterr().err
    assert code == NOT_VERIFIED, err
    assert "does not extend the one of size" in err

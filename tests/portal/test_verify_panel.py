"""The statement page's verify panel: #13's verifier run server-side for the signed-in
party, on the demo's statements, then on a ledger altered behind the service's back."""

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from service.portal import verify
from tests.factories import bearer
from tests.portal.conftest import sign_in
from tests.transparency.conftest import without_guards

ROW = re.compile(r'<tr class="(pass|fail)"><td>([^<]+)</td><td>(pass|FAIL)</td><td>([^<]*)</td>')


def _statement(client: TestClient, token: str, period: str) -> dict[str, Any]:
    listed = client.get("/v1/statements", headers=bearer(token), params={"period": period}).json()[
        "data"
    ]
    [summary] = listed
    detail: dict[str, Any] = client.get(
        f"/v1/statements/{summary['id']}", headers=bearer(token)
    ).json()
    return detail


def _checks(html: str) -> list[tuple[str, str, str]]:
    return [
        (unescape(name), result, unescape(detail)) for _, name, result, detail in ROW.findall(html)
    ]


def test_the_panel_verifies_an_intact_demo_statement(
    client: TestClient, demo: dict[str, Any]
) -> None:
    st = _statement(client, demo["SOCIETY"], "2006-10")
    key = client.get("/v1/transparency/key").json()
    sign_in(client, demo["SOCIETY"])
    html = client.get(f"/portal/statements/{st['id']}").text
    sth = st["sth"]
    assert f'<span id="sth-size">{sth["tree_size"]}</span>' in html
    assert sth["root_hash"] in html and sth["timestamp"] in html
    assert f'id="key-id">{key["key_id"]}<' in html
    assert f'id="public-key">{key["public_key"]}<' in html
    command = (
        f"royalty-ledger verify-statement {st['id']} --public-key {key['public_key']} "
        "--trusted-sth trusted-sth.json"
    )
    assert command in unescape(html)
    checks = _checks(html)
    names = [name for name, _, _ in checks]
    assert len(checks) == 4 and names[0] == "Signed tree head"
    assert all(result == "pass" for _, result, _ in checks), checks
    assert "Inclusion proofs of" in names[2]
    assert f"({st['line_count']} lines)" in names[3]
    assert "<strong>Verified</strong>" in html
    assert "inclusion proofs of all of them" in html  # a demo statement is small


def _tamper_amount(connection: Connection, party: str, period: str) -> int:
    without_guards(connection, "ledger_leg", "ledger_transaction")
    [seq] = connection.exec_driver_sql(
        f"SELECT MIN(sequence) FROM ledger_leg WHERE account = '{party}' AND period = '{period}'"
    ).one()
    connection.exec_driver_sql(
        f"UPDATE ledger_leg SET amount = amount + 1 WHERE sequence = {seq} AND account = '{party}'"
    )
    return int(seq)


def test_a_leg_amount_altered_behind_the_service_fails_naming_the_leaf(
    client: TestClient, demo: dict[str, Any], connection: Connection
) -> None:
    st = _statement(client, demo["SOCIETY"], "2006-10")
    seq = _tamper_amount(connection, st["party"], "2006-10")
    sign_in(client, demo["SOCIETY"])
    html = client.get(f"/portal/statements/{st['id']}", params={"verify": "all"}).text
    assert "<strong>Does NOT verify</strong>" in html
    checks = dict((name, (result, detail)) for name, result, detail in _checks(html))
    assert checks["Signed tree head"][0] == "pass"  # the head itself was not touched
    [(_, (result, detail))] = [
        (n, c) for n, c in checks.items() if n.startswith("Inclusion proofs")
    ]
    assert result == "FAIL" and f"leaf {seq - 1}" in detail, detail
    [(_, (result, detail))] = [(n, c) for n, c in checks.items() if n.startswith("Every line")]
    assert result == "FAIL" and re.search(r"line \d+: royalty|royalties in", detail), detail


def test_a_big_statement_waits_for_the_verify_now_button(
    client: TestClient, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "AUTO_LINES", 0)
    st = _statement(client, demo["SOCIETY"], "2006-09")
    sign_in(client, demo["SOCIETY"])
    page = client.get(f"/portal/statements/{st['id']}").text
    assert _checks(page) == [] and 'name="verify" value="sample"' in page
    asked = client.get(f"/portal/statements/{st['id']}", params={"verify": "sample"}).text
    assert [result for _, result, _ in _checks(asked)] == ["pass"] * 4
    refused = client.get(f"/portal/statements/{st['id']}", params={"verify": "bogus"})
    assert refused.status_code == 422


def test_the_panel_names_the_witnesses_that_cosigned(
    client: TestClient, demo: dict[str, Any], tmp_path: Any
) -> None:
    """Issue #29: which societies' witnesses cosigned the statement's tree head."""
    from tests.transparency.witnessing import witnesses

    st = _statement(client, demo["SOCIETY"], "2006-10")
    sign_in(client, demo["SOCIETY"])
    assert (
        '<dd id="cosigners">no witness yet</dd>'
        in client.get(f"/portal/statements/{st['id']}").text
    )
    log_vkey = client.get("/v1/transparency/key").json()["verifier_key"]
    admin = bearer(demo["ADMIN"])
    with witnesses(tmp_path, log_vkey, "roms.example/w", "hfa.example/w") as running:
        for w in running:
            added = client.post(
                "/v1/transparency/witnesses",
                json={"verifier_key": w.vkey, "url": w.url},
                headers=admin,
            )
            assert added.status_code == 201, added.text
        cosigned = client.post("/v1/transparency/witnesses/cosign", headers=admin)
        assert cosigned.json()["outcomes"] == {"roms.example/w": "ok", "hfa.example/w": "ok"}
    html = client.get(f"/portal/statements/{st['id']}").text
    assert '<dd id="cosigners">roms.example/w, hfa.example/w (' in html

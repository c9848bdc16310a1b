"""Witnessed checkpoints (issue #29): the signer signs only what the log appended, C2SP
checkpoints checked by an independent implementation, witnesses cosign, and the attacks:
a rewritten past, a split view, a rewound ledger, a forged cosignature."""

import base64
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from sqlalchemy import Connection
from sqlmodel import Session

from service.client import cli
from service.ledger import log
from tests.factories import bearer
from tests.transparency import independent_note as spec
from tests.transparency.conftest import Month, post_sales, without_guards
from tests.transparency.test_verify_statement import _alter_amount
from tests.transparency.witnessing import witnesses

NOT_VERIFIED = 5


def _key(month: Month) -> dict[str, str]:
    return dict(month.client.get("/v1/transparency/key").json())


def _rewrite_closed_month(month: Month, connection: Connection, session: Session) -> None:
    """As database superuser, without the key: move money in a closed month's legs,
    rebuild the Merkle tiles from the altered rows, delete the stored tree heads."""
    without_guards(connection, "ledger_leg", "signed_tree_head")
    _alter_amount(connection, month)
    connection.exec_driver_sql("DELETE FROM merkle_tile")
    connection.exec_driver_sql("DELETE FROM signed_tree_head")
    session.expire_all()
    log.catch_up(session, upto=month.statement["ledger_head"]["sequence"])
    session.flush()


def test_no_request_obtains_a_signature_over_a_rewritten_past(
    month: Month, connection: Connection, session: Session
) -> None:
    size = month.statement["ledger_head"]["sequence"]
    genuine = month.client.get(f"/v1/transparency/sth/{size}").json()
    _rewrite_closed_month(month, connection, session)
    forged_root = month.client.get(
        "/v1/transparency/consistency", params={"first": 1, "second": size}
    )
    assert forged_root.status_code in (200, 401)
    for path in (
        f"/v1/transparency/sth/{size}",
        "/v1/transparency/sth",
        "/v1/transparency/checkpoint",
        f"/v1/transparency/checkpoint/{size}",
    ):
        answer = month.client.get(path)
        assert (answer.status_code, answer.json()["code"]) == (409, "signer_refused"), path
    audit = month.client.get("/v1/transparency/audit", headers=month.api.admin).json()
    assert (audit["ok"], audit["first_bad_leaf"], audit["signer_record_matches"]) == (
        False,
        None,  # leaves and rebuilt tiles agree...
        False,  # ...but not with the root the signer signed
    )
    # A smaller size, never signed, is not signed now either.
    assert month.client.get(f"/v1/transparency/sth/{size - 1}").status_code == 404
    assert genuine["tree_size"] == size


def test_a_head_is_signed_once_per_size_and_served_as_stored(month: Month) -> None:
    first = month.client.get("/v1/transparency/sth").json()
    post_sales(month.client, month.world, 2, day="2006-12-02")
    grown = month.client.get("/v1/transparency/sth").json()
    assert grown["tree_size"] > first["tree_size"]
    assert month.client.get(f"/v1/transparency/sth/{first['tree_size']}").json() == first
    assert month.client.get("/v1/transparency/sth").json() == grown
    # a size between two heads was never signed: never signed after the fact
    between = grown["tree_size"] - 1
    if between > first["tree_size"]:
        assert month.client.get(f"/v1/transparency/sth/{between}").status_code == 404


def test_the_checkpoint_is_a_c2sp_signed_note(month: Month) -> None:
    key = _key(month)
    answer = month.client.get("/v1/transparency/checkpoint")
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    note = answer.text
    assert spec.verify_note_signature(note, key["verifier_key"])
    origin, size, root = spec.checkpoint(spec.open_note(note)[0])
    sth = month.client.get(f"/v1/transparency/sth/{size}").json()
    assert (origin, root.hex()) == (key["origin"], sth["root_hash"])
    name, _, kind, raw = spec.parse_vkey(key["verifier_key"])
    assert (name, kind, raw.hex()) == (
        origin,
        1,
        base64.b64decode(key["public_key"]).hex(),
    )
    assert month.client.get(f"/v1/transparency/checkpoint/{size}").text == note


def _register(month: Month, running: list) -> None:
    for w in running:
        added = month.client.post(
            "/v1/transparency/witnesses",
            json={"verifier_key": w.vkey, "url": w.url},
            headers=month.api.admin,
        )
        assert added.status_code == 201, added.text


def _cosign(month: Month) -> dict[str, str]:
    answer = month.client.post("/v1/transparency/witnesses/cosign", headers=month.api.admin)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["outcomes"])


def _verify(month: Month, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    argv = ["verify-statement", month.statement["id"], "--public-key", month.public_key, *extra]
    code = cli.main(argv, client=month.society())
    out, err = capsys.readouterr()
    return code, out + err


def test_two_witnesses_cosign_and_the_quorum_is_required(
    month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = _key(month)
    with witnesses(tmp_path, key["verifier_key"], "roms.example/w", "hfa.example/w") as running:
        _register(month, running)
        assert _cosign(month) == {"roms.example/w": "ok", "hfa.example/w": "ok"}
        size = month.statement["ledger_head"]["sequence"]
        note = month.client.get(f"/v1/transparency/checkpoint/{size}").text
        assert all(spec.cosigned_at(note, w.vkey) for w in running)
        listed = month.client.get("/v1/transparency/witnesses").json()
        assert [w["cosigned_size"] for w in listed] == [size, size]
        both = [a for w in running for a in ("--witness", w.vkey)]
        code, said = _verify(month, capsys, *both, "--quorum", "2")
        assert code == 0, said
        assert "2 of 2 trusted witnesses cosigned" in said
        # a third witness nobody asked: a quorum of 3 is refused
        with witnesses(tmp_path, key["verifier_key"], "prs.example/w") as [third]:
            code, said = _verify(month, capsys, *both, "--witness", third.vkey, "--quorum", "3")
        assert code == NOT_VERIFIED, said
        assert "only 2 of the 3 cosignatures required" in said
        # later growth is cosigned too; the statement still verifies against it
        post_sales(month.client, month.world, 2, day="2006-12-02")
        assert _cosign(month) == {"roms.example/w": "ok", "hfa.example/w": "ok"}


def test_a_forged_cosignature_fails(month: Month, tmp_path: Path) -> None:
    from service.client import quorum
    from service.proofs import notes
    from service.proofs.verifier import Mismatch

    key = _key(month)
    with witnesses(tmp_path, key["verifier_key"], "roms.example/w") as running:
        _register(month, running)
        _cosign(month)
        note = month.client.get("/v1/transparency/checkpoint").text
    line = note.splitlines()[-1]
    _, blob = line[2:].split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    forged = note.replace(blob, base64.b64encode(bytes(raw)).decode())
    verifier = notes.parse_vkey(running[0].vkey)
    with pytest.raises(notes.NoteError):
        notes.verified(forged, [verifier])
    with pytest.raises(InvalidSignature):
        spec.cosigned_at(forged, running[0].vkey)
    public = base64.b64decode(month.public_key)
    with pytest.raises(Mismatch, match="forged"):
        quorum.cosigners(forged, public, [verifier])


def test_a_rewound_ledger_cannot_gather_cosignatures(
    month: Month, connection: Connection, session: Session, tmp_path: Path, signer_record: Path
) -> None:
    key = _key(month)
    with witnesses(tmp_path, key["verifier_key"], "roms.example/w") as running:
        _register(month, running)
        assert _cosign(month) == {"roms.example/w": "ok"}
        _rewrite_closed_month(month, connection, session)
        # Even the operator, removing its own signer's record to sign the rewritten tree,
        # cannot get it cosigned: the witness holds the genuine head.
        signer_record.unlink()
        post_sales(month.client, month.world, 1, day="2006-12-02")
        forged = month.client.get("/v1/transparency/checkpoint")
        assert forged.status_code == 200
        outcome = _cosign(month)["roms.example/w"]
        assert outcome.startswith("failed: 422"), outcome
        assert spec.cosigned_at(forged.text, running[0].vkey) is None
        assert (
            spec.cosigned_at(month.client.get("/v1/transparency/checkpoint").text, running[0].vkey)
            is None
        )


def test_a_bad_witness_is_refused(month: Month) -> None:
    answer = month.client.post(
        "/v1/transparency/witnesses",
        json={"verifier_key": _key(month)["verifier_key"], "url": "http://127.0.0.1:9"},
        headers=month.api.admin,
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "bad_witness")
    society = month.client.post(
        "/v1/transparency/witnesses",
        json={"verifier_key": "x+00000000+AA==", "url": "http://127.0.0.1:9"},
        headers=bearer(month.society_token),
    )
    assert society.status_code == 403


def test_witnesses_from_the_environment_and_their_backoff(month: Month, session: Session) -> None:
    """``LEDGER_WITNESSES`` pairs; a witness that does not answer is retried after 5 s,
    then 10 s, and not asked in between."""
    from contextlib import contextmanager

    import httpx

    from service.config import get_settings
    from service.transparency import witnesses as w
    from service.transparency.signing import settings_key

    vkey = "roms.example/w+" + "00000000+" + base64.b64encode(bytes([4]) + bytes(32)).decode()
    with pytest.raises(w.BadWitness, match="key ID does not match"):
        w.configured(f"{vkey} http://127.0.0.1:9")
    good = notes_vkey()
    [parsed] = w.configured(f" {good} http://127.0.0.1:9/ ")
    assert (parsed.name, parsed.url) == ("roms.example/w", "http://127.0.0.1:9")
    with pytest.raises(w.BadWitness, match="http"):
        w.configured(f"{good} ftp://x")
    calls = []

    def down(url: str, body: bytes) -> httpx.Response:
        calls.append(url)
        raise httpx.ConnectError("refused")

    @contextmanager
    def same():  # type: ignore[no-untyped-def]
        yield session

    cosigner = w.Cosigner(same, settings_key(get_settings()), [parsed], post=down)
    assert cosigner.round(100.0)["roms.example/w"].startswith("failed")
    assert cosigner.round(104.0) == {"roms.example/w": "backing off"}
    assert cosigner.round(105.0)["roms.example/w"].startswith("failed")
    assert cosigner.round(114.0) == {"roms.example/w": "backing off"}
    assert len(calls) == 2


def notes_vkey() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from service.proofs import notes

    private = Ed25519PrivateKey.generate()
    return notes.verifier_of("roms.example/w", private, notes.COSIGNATURE_V1).vkey

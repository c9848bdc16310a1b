"""The log over a real month: the stored tree is the ledger's, proofs verify against signed
heads, the close pins an STH, evidence hides other parties' legs."""

import base64
import json
from typing import Any

from sqlmodel import Session

from service.ledger import log, tiles
from service.proofs.merkle import MemoryTree
from service.proofs.verifier import check_consistency, check_inclusion, check_sth
from service.transparency import service
from tests.factories import bearer
from tests.transparency.conftest import Month, post_sales


def _key(month: Month) -> bytes:
    return base64.b64decode(month.public_key)


def test_the_stored_tree_is_the_tree_of_the_ledger_rows(month: Month, session: Session) -> None:
    session.expire_all()
    size = tiles.stored_size(session)
    leaves = [h for _, h in log.leaf_hashes(session, after=0, upto=size)]
    assert size == len(leaves) > 9  # 9 sales and the close's conversions
    reader = tiles.TileReader(session)
    assert [reader.node(0, i) for i in range(size)] == leaves
    sth = month.client.get("/v1/transparency/sth").json()
    assert sth["tree_size"] == size
    assert bytes.fromhex(sth["root_hash"]) == MemoryTree(leaves).root()


def test_tiles_grow_across_many_batches(month: Month, session: Session) -> None:
    """Several tiles (over 256 leaves), appended in uneven batches, stay the RFC tree."""
    for n, day in ((130, "2006-12-01"), (200, "2006-12-02"), (1, "2006-12-03")):
        post_sales(month.client, month.world, n, day=day)
    session.expire_all()
    size = tiles.stored_size(session)
    assert size > 256
    leaves = [h for _, h in log.leaf_hashes(session, after=0, upto=size)]
    reference = MemoryTree(leaves)
    # The latest STH is the tree as it is: the whole tree, and the same bytes every time.
    sth = month.client.get("/v1/transparency/sth").json()
    assert sth["tree_size"] == size
    assert month.client.get("/v1/transparency/sth").json() == sth
    assert month.client.get(f"/v1/transparency/sth/{size}").json() == sth
    assert bytes.fromhex(sth["root_hash"]) == reference.root(sth["tree_size"])
    assert service.root_hash(session=session, size=size) == reference.root()
    for first in (1, 7, 255, 256, size - 1):
        proof = month.client.get(
            "/v1/transparency/consistency",
            params={"first": first, "second": size},
            headers=bearer(month.society_token),
        ).json()["proof"]
        old = {"tree_size": first, "root_hash": reference.root(first).hex()}
        new = {"tree_size": size, "root_hash": reference.root().hex()}
        check_consistency(old=old, new=new, proof=proof)


def test_signed_heads_and_inclusion_proofs(month: Month) -> None:
    client, headers = month.client, bearer(month.society_token)
    key = client.get("/v1/transparency/key").json()
    assert key["alg"] == "Ed25519" and len(key["key_id"]) == 64
    sth = client.get("/v1/transparency/sth").json()
    check_sth(sth, _key(month))
    assert client.get(f"/v1/transparency/sth/{sth['tree_size']}").json() == sth
    for index in range(sth["tree_size"]):
        answer = client.get(
            "/v1/transparency/inclusion",
            params={"leaf_index": index, "tree_size": sth["tree_size"]},
            headers=headers,
        ).json()
        leaf = bytes.fromhex(answer["leaf_hash"])
        check_inclusion(leaf_index=index, leaf=leaf, proof=answer["proof"], sth=sth)


def test_a_forged_signature_fails(month: Month) -> None:
    sth = month.client.get("/v1/transparency/sth").json()
    forged = {**sth, "tree_size": sth["tree_size"] + 1}
    try:
        check_sth(forged, _key(month))
    except ValueError:
        raise AssertionError("Mismatch is not a ValueError") from None
    except Exception as exc:
        assert "bad signature" in str(exc)
    else:
        raise AssertionError("a forged STH verified")


def test_bad_proof_requests_are_problems(month: Month) -> None:
    headers = bearer(month.society_token)
    size = month.client.get("/v1/transparency/sth").json()["tree_size"]
    cases = [
        ("/v1/transparency/inclusion", {"leaf_index": size, "tree_size": size}, 400),
        ("/v1/transparency/inclusion", {"leaf_index": 0, "tree_size": size + 5}, 404),
        ("/v1/transparency/consistency", {"first": 3, "second": 2}, 400),
        ("/v1/transparency/consistency", {"first": 0, "second": 2}, 422),
        ("/v1/transparency/consistency", {"first": 1, "second": 2**70}, 422),
    ]
    for path, params, status in cases:
        response = month.client.get(path, params=params, headers=headers)
        assert response.status_code == status, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert month.client.get("/v1/transparency/sth/999999").status_code == 404
    assert (
        month.client.get(
            "/v1/transparency/inclusion", params={"leaf_index": 0, "tree_size": 1}
        ).status_code
        == 401
    )


def test_every_statement_of_the_close_pins_its_sth(month: Month) -> None:
    detail = month.client.get(
        f"/v1/statements/{month.statement['id']}", headers=bearer(month.society_token)
    ).json()
    sth = detail["sth"]
    check_sth(sth, _key(month))
    # The close signs after its conversions: the tree is exactly the ledger it pinned.
    assert sth["tree_size"] == detail["ledger_head"]["sequence"]


def _evidence(month: Month, token: str, statement_id: str) -> list[dict[str, Any]]:
    response = month.client.get(f"/v1/statements/{statement_id}/evidence", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_evidence_shows_own_legs_and_only_commitments_of_others(month: Month) -> None:
    """The society sees its legs with salts; the store's and the holders' legs only as
    commitments; the holder's own evidence shows it nothing of the society's."""
    head, *records = _evidence(month, month.society_token, month.statement["id"])
    assert head["type"] == "statement" and head["sth"]["tree_size"] > 0
    assert records and all(r["type"] == "transaction" for r in records)
    roms = f"society:{month.world.roms}"
    parties = {leg["account"] for r in records for leg in r["legs"]}
    assert parties == {roms}
    assert all(r["commitments"] for r in records)  # every sale has other legs
    text = json.dumps(records)
    assert "store:" not in text and "holder:" not in text
    assert month.world.hfa not in text
    listed = month.client.get("/v1/statements", headers=month.api.admin).json()["data"]
    holder = next(s for s in listed if s["party"] == f"holder:{month.world.composer}")
    hfa = next(s for s in listed if s["party"] == f"society:{month.world.hfa}")
    for other, token in (
        (holder, month.api.key("rights_holder", month.world.composer)),
        (hfa, month.api.key("society", month.world.hfa)),
    ):
        _, *theirs = _evidence(month, token, other["id"])
        assert theirs
        assert {leg["account"] for r in theirs for leg in r["legs"]} == {other["party"]}
        assert roms not in json.dumps(theirs)
        # Shared transactions: the same commitment the others see is a leg they cannot read.
        salts = {leg["salt"] for r in records for leg in r["legs"]}
        assert not salts & {leg["salt"] for r in theirs for leg in r["legs"]}


def test_evidence_is_the_owners_only(month: Month) -> None:
    other = month.world.hfa
    response = month.client.get(
        f"/v1/statements/{month.statement['id']}/evidence",
        headers=bearer(month.api.key("society", other)),
    )
    assert response.status_code == 404


def test_a_store_gets_a_receipt_it_can_prove(month: Month) -> None:
    """Each recorded sale's result names its leaf; once an STH covers it, the inclusion
    proof shows the operator logged exactly that sale."""
    results = post_sales(month.client, month.world, 3, day="2006-12-05")
    indices = [r["leaf_index"] for r in results]
    assert indices == list(range(indices[0], indices[0] + 3))
    store_headers = bearer(month.world.store_token)
    sth = month.client.get("/v1/transparency/sth").json()
    assert sth["tree_size"] == indices[-1] + 1  # the head covers the sales just recorded
    check_sth(sth, _key(month))
    for index in indices:
        answer = month.client.get(
            "/v1/transparency/inclusion",
            params={"leaf_index": index, "tree_size": sth["tree_size"]},
            headers=store_headers,
        ).json()
        check_inclusion(
            leaf_index=index,
            leaf=bytes.fromhex(answer["leaf_hash"]),
            proof=answer["proof"],
            sth=sth,
        )

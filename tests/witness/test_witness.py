"""The witness's side of c2sp.org/tlog-witness, status code by status code, without HTTP
and without a database; the state survives a new process (a restart)."""

import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.proofs import merkle, notes
from service.witness.core import Witness

ORIGIN = "ledger.example/log"
LOG_KEY = Ed25519PrivateKey.generate()
LOG = notes.verifier_of(ORIGIN, LOG_KEY)


def _tree(n: int, salt: bytes = b"") -> merkle.MemoryTree:
    return merkle.MemoryTree([merkle.leaf_hash(salt + bytes([i])) for i in range(n)])


def _body(
    old: int, proof: list[bytes], size: int, root: bytes, key: Ed25519PrivateKey = LOG_KEY
) -> bytes:
    text = notes.Checkpoint(ORIGIN, size, root).text
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + text + "\n" + notes.sign(text, ORIGIN, key)).encode()


def _witness(tmp_path: Path, key: Ed25519PrivateKey | None = None) -> Witness:
    return Witness("roms.example/w", key or Ed25519PrivateKey.generate(), [LOG], tmp_path / "state")


def test_cosigns_a_consistent_checkpoint_and_keeps_it(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    witness = _witness(tmp_path, key)
    tree = _tree(7)
    first = witness.add_checkpoint(_body(0, [], 3, tree.root(3)), now=1700000000)
    assert first.status == 200
    text = notes.Checkpoint(ORIGIN, 3, tree.root(3)).text
    _, signers = notes.verified(text + "\n" + first.body, [witness.verifier])
    assert signers == {witness.verifier.vkey: 1700000000}
    proof = merkle.consistency_proof(tree.node, 3, 7)
    assert witness.add_checkpoint(_body(3, proof, 7, tree.root(7))).status == 200
    # a restarted witness (a new object over the same state file) holds size 7
    again = _witness(tmp_path, key)
    assert again.latest(ORIGIN) == (7, tree.root(7))


def test_the_spec_status_codes(tmp_path: Path) -> None:
    witness = _witness(tmp_path)
    tree = _tree(8)
    assert witness.add_checkpoint(_body(0, [], 4, tree.root(4))).status == 200
    # 409 text/x.tlog.size: the old size is not the one it holds
    stale = witness.add_checkpoint(_body(2, [], 8, tree.root(8)))
    assert (stale.status, stale.body, stale.content_type) == (409, "4\n", "text/x.tlog.size")
    # 400: old size beyond the checkpoint
    assert witness.add_checkpoint(_body(5, [], 4, tree.root(4))).status == 400
    # 403: no valid signature by the log's key
    forged = _body(
        4, merkle.consistency_proof(tree.node, 4, 8), 8, tree.root(8), Ed25519PrivateKey.generate()
    )
    assert witness.add_checkpoint(forged).status == 403
    # 404: a log it does not witness
    other = _body(0, [], 4, tree.root(4)).replace(ORIGIN.encode(), b"other.example/log")
    assert witness.add_checkpoint(other).status == 404
    # 422: a tree that does not extend the one it cosigned (a rewound, rewritten log)
    rewritten = _tree(8, b"x")
    proof = merkle.consistency_proof(rewritten.node, 4, 8)
    assert witness.add_checkpoint(_body(4, proof, 8, rewritten.root(8))).status == 422
    # 400: malformed
    assert witness.add_checkpoint(b"old 01\n\nnonsense").status == 400
    assert witness.latest(ORIGIN) == (4, tree.root(4))


def test_a_split_view_is_refused(tmp_path: Path) -> None:
    """Two different checkpoints of one size offered to one witness: the second is a 409."""
    witness = _witness(tmp_path)
    honest, other = _tree(5), _tree(5, b"split")
    assert witness.add_checkpoint(_body(0, [], 5, honest.root(5))).status == 200
    assert witness.add_checkpoint(_body(5, [], 5, other.root(5))).status == 409
    assert witness.add_checkpoint(_body(5, [], 5, honest.root(5))).status == 200
    assert witness.latest(ORIGIN) == (5, honest.root(5))

"""The signer's own record of the largest tree head it signed, kept outside the database.

A database superuser can rewrite legs, rebuild the Merkle tiles and delete stored heads;
they cannot edit this file (it lives beside the signing key, with the key's protection)
nor sign without the key. Before the key signs a head of ``size`` with root ``root``,
``approve`` checks it against the record under an exclusive lock:

- a smaller tree than the one recorded is never signed (its heads are served as stored);
- the recorded size must come back with the recorded root: never a second root for a size;
- a larger tree must extend the recorded one: the consistency proof the (possibly
  rewritten) tiles give must verify against the *recorded* root;

then writes the new record atomically (a temporary file, fsync, rename, fsync of the
directory), so a crash leaves the old record or the new one, never a torn one. A refusal
is ``SignerRefused``: a 409 problem and an error in the log, for a human to look at.
"""

import json
import logging
from collections.abc import Callable
from pathlib import Path

from service.atomic import locked, write_atomically
from service.errors import DomainError
from service.proofs import merkle

log = logging.getLogger("ledger.signer")
Prove = Callable[[int, int], list[bytes]]


class SignerRefused(DomainError):
    """The log contradicts what the signer signed: it will not sign this head."""

    status = 409
    code = "signer_refused"
    title = "The signer refuses to contradict a tree head it signed"


def read(path: Path) -> tuple[int, bytes] | None:
    """The recorded (size, root), or None before the first signature."""
    try:
        data = json.loads(path.read_bytes())
        return int(data["tree_size"]), bytes.fromhex(data["root_hash"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise SignerRefused(
            f"The signer's record {path} is unreadable ({exc}); restore it from a backup."
        ) from exc


def _refuse(message: str) -> SignerRefused:
    log.error("signer refused: %s", message)
    return SignerRefused(message)


def check(recorded: tuple[int, bytes] | None, size: int, root: bytes, prove: Prove) -> None:
    """Raise ``SignerRefused`` unless a head (size, root) may follow ``recorded``."""
    if recorded is None:
        return
    last_size, last_root = recorded
    if size < last_size:
        raise _refuse(
            f"asked to sign a tree of {size} leaves after one of {last_size}: only the "
            "heads stored when the log had that size are served"
        )
    if size == last_size:
        if root != last_root:
            raise _refuse(
                f"the tree of {size} leaves now has root {root.hex()}, but the signer "
                f"signed {last_root.hex()} for that size: the log was rewritten"
            )
        return
    if last_size == 0:
        return
    try:
        proof = prove(last_size, size)
    except LookupError as exc:
        raise _refuse(f"no consistency proof from {last_size} to {size} leaves") from exc
    if not merkle.verify_consistency(last_size, size, last_root, root, proof):
        raise _refuse(
            f"the tree of {size} leaves does not extend the one of {last_size} leaves the "
            "signer signed: the log was rewritten"
        )


def approve(path: Path, size: int, root: bytes, prove: Prove, sign: Callable[[], str]) -> str:
    """Check (size, root) against the record at ``path``, sign, then record it; the
    signature. One signer at a time per machine (the lock)."""
    with locked(path):
        recorded = read(path)
        check(recorded, size, root, prove)
        signature = sign()
        if recorded is None or size > recorded[0]:
            body = {"tree_size": size, "root_hash": root.hex()}
            write_atomically(path, (json.dumps(body) + "\n").encode())
        return signature

"""`verify-statement --witness VKEY ... --quorum K`: the statement's tree head must be
cosigned by K of the witnesses the society trusts (C2SP tlog-cosignature), so the operator
cannot show it a history others do not see.

The checkpoint of the statement's own head must carry the operator's signature and K
valid cosignatures; if it carries fewer (the witnesses were asked later, or the log had
grown before their round), the newest checkpoint must, and must extend the statement's
head (an RFC 9162 consistency proof). A cosignature of a trusted witness that does not
verify fails the check outright (a forgery).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from service.client.api import LedgerClient
from service.proofs import merkle, notes
from service.proofs.verifier import Mismatch


def cosigners(
    note: str, public_key: bytes, witnesses: Sequence[notes.Verifier]
) -> tuple[notes.Checkpoint, list[str]]:
    """The checkpoint a note carries, once the operator's signature verifies, and the
    names of the trusted witnesses whose cosignatures verify."""
    try:
        text, signatures = notes.split(note)
        checkpoint = notes.parse_checkpoint(text)
        operator = notes.Verifier(checkpoint.origin, notes.ED25519, public_key)
        notes.verified(note, [operator])
    except notes.NoteError as exc:
        raise Mismatch(f"checkpoint: {exc} (is it the operator's key?)") from exc
    known = {(w.name, w.key_id): w for w in witnesses}
    names = []
    for sig in signatures:
        witness = known.get((sig.name, sig.key_id))
        if witness is None:
            continue  # the spec: ignore signatures of unknown keys
        try:
            notes.verify_signature(text, sig, witness)
        except notes.NoteError as exc:
            raise Mismatch(f"checkpoint of size {checkpoint.size}: {exc} (forged)") from exc
        names.append(witness.name)
    return checkpoint, sorted(set(names))


def check(
    client: LedgerClient,
    sth: Mapping[str, Any],
    public_key: bytes,
    witnesses: Sequence[notes.Verifier],
    quorum: int,
) -> str:
    """One report line, or ``Mismatch`` when fewer than ``quorum`` witnesses cosigned."""
    size, root = int(sth["tree_size"]), bytes.fromhex(str(sth["root_hash"]))
    pinned, names = cosigners(
        client.get_text(f"/v1/transparency/checkpoint/{size}"), public_key, witnesses
    )
    if (pinned.size, pinned.root) != (size, root):
        raise Mismatch(f"the checkpoint of size {size} is not the statement's tree head")
    if len(names) >= quorum:
        return (
            f"witnesses: {len(names)} of {len(witnesses)} trusted witnesses cosigned the "
            f"statement's tree head (quorum {quorum}): {', '.join(names)}"
        )
    latest, later = cosigners(client.get_text("/v1/transparency/checkpoint"), public_key, witnesses)
    if latest.origin != pinned.origin or latest.size < size or len(later) < quorum:
        raise Mismatch(
            f"only {max(len(names), len(later))} of the {quorum} cosignatures required "
            f"(witnesses that cosigned the tree of size {size}: {', '.join(names) or 'none'})"
        )
    if latest.size > size:
        answer = client.get_json("/v1/transparency/consistency", first=size, second=latest.size)
        proof = [bytes.fromhex(h) for h in answer["proof"]]
        if not merkle.verify_consistency(size, latest.size, root, latest.root, proof):
            raise Mismatch(f"the cosigned tree of size {latest.size} does not extend {size}")
    return (
        f"witnesses: {len(later)} of {len(witnesses)} trusted witnesses cosigned the tree of "
        f"size {latest.size}, which extends the statement's (quorum {quorum}): {', '.join(later)}"
    )

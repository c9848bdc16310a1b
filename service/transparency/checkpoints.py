"""Stored tree heads as C2SP checkpoints (signed notes), with the witnesses' cosignatures.

A checkpoint is signed only for a head the database holds *and* whose STH signature the
operator's key made: a row a superuser inserted with a forged root has no valid STH
signature, so it never becomes a checkpoint. Ed25519 is deterministic and a checkpoint
carries no time, so a head's checkpoint is the same bytes on every request.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from service.proofs import notes
from service.proofs.verifier import Mismatch, check_sth
from service.transparency import record
from service.transparency.models import CheckpointCosignature, SignedTreeHead
from service.transparency.schemas import sth_public
from service.transparency.signing import OperatorKey


@dataclass(frozen=True, slots=True)
class Signed:
    """A checkpoint as served: its text, the operator's line and the cosignatures."""

    checkpoint: notes.Checkpoint
    signature: str
    cosignatures: tuple[str, ...]

    @property
    def note(self) -> str:
        return self.checkpoint.text + "\n" + self.signature + "".join(self.cosignatures)


def of_head(key: OperatorKey, sth: SignedTreeHead) -> notes.Checkpoint:
    """The checkpoint of a stored head, once its STH signature checks out."""
    try:
        check_sth(sth_public(sth).model_dump(), key.public)
    except Mismatch as exc:
        raise record.SignerRefused(
            f"The stored head of size {sth.tree_size} is not signed by this key ({exc})."
        ) from exc
    return notes.Checkpoint(key.origin, sth.tree_size, bytes.fromhex(sth.root_hash))


def cosignatures(*, session: Session, size: int, root_hex: str) -> list[CheckpointCosignature]:
    return list(
        session.exec(
            select(CheckpointCosignature)
            .where(CheckpointCosignature.tree_size == size)
            .where(CheckpointCosignature.root_hash == root_hex)
            .order_by(col(CheckpointCosignature.id))
        ).all()
    )


def signed(*, session: Session, key: OperatorKey, sth: SignedTreeHead) -> Signed:
    checkpoint = of_head(key, sth)
    lines = [
        c.line for c in cosignatures(session=session, size=sth.tree_size, root_hex=sth.root_hash)
    ]
    return Signed(checkpoint, key.sign_note(checkpoint.text), tuple(lines))


def keep_cosignature(
    *,
    session: Session,
    checkpoint: notes.Checkpoint,
    witness: notes.Verifier,
    line: str,
    now: datetime,
) -> int:
    """Check a witness's cosignature line over ``checkpoint`` (of a stored head) and keep
    it; its timestamp. Raises ``notes.NoteError`` unless it is a cosignature/v1 of
    ``witness`` over exactly this checkpoint."""
    timestamp = notes.verify_signature(checkpoint.text, notes.parse_signature_line(line), witness)
    if timestamp is None:
        raise notes.NoteError("a witness answers cosignatures, not note signatures")
    root_hex = checkpoint.root.hex()
    known = session.exec(
        select(CheckpointCosignature)
        .where(CheckpointCosignature.tree_size == checkpoint.size)
        .where(CheckpointCosignature.root_hash == root_hex)
        .where(CheckpointCosignature.witness_vkey == witness.vkey)
    ).first()
    if known is None:
        session.add(
            CheckpointCosignature(
                tree_size=checkpoint.size,
                root_hash=root_hex,
                witness_vkey=witness.vkey,
                cosigned_at=timestamp,
                line=line.rstrip("\n") + "\n",
                received_at=now,
            )
        )
        session.flush()
    return timestamp


def cosigned_sizes(*, session: Session, witness_vkey: str) -> int:
    """The largest tree size ``witness_vkey`` cosigned for this log (0: none)."""
    found = session.exec(
        select(CheckpointCosignature.tree_size)
        .where(CheckpointCosignature.witness_vkey == witness_vkey)
        .order_by(col(CheckpointCosignature.tree_size).desc())
    ).first()
    return int(found or 0)

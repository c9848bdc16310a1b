"""Signed tree heads and proofs over the stored tree (``tiles``)."""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from service.ledger import log, tiles
from service.proofs import merkle
from service.proofs.verifier import sth_message
from service.transparency import dating, record
from service.transparency.exceptions import BadProofRequest, TreeSizeUnknown
from service.transparency.models import SignedTreeHead
from service.transparency.schemas import stamp
from service.transparency.signing import OperatorKey

T = TypeVar("T")


def tree_size(*, session: Session) -> int:
    return tiles.stored_size(session)


def root_hash(*, session: Session, size: int) -> bytes:
    def compute(node: merkle.NodeReader) -> bytes:
        return merkle.range_hash(node, 0, size)

    return compute(tiles.read_for(session, compute).node)


def _signed(
    session: Session, key: OperatorKey, size: int, moment: datetime, period: str | None = None
) -> SignedTreeHead:
    """A new head of the stored tree of ``size`` leaves, signed only if the signer's own
    record agrees (``record.approve``: never a smaller tree, never a second root for a
    size, only a tree that extends the largest one signed)."""
    moment = dating.whole_second_up(moment)
    root = root_hash(session=session, size=size)
    message = sth_message(size, stamp(moment), root.hex())

    def prove(first: int, second: int) -> list[bytes]:
        try:
            return consistency(session=session, first=first, second=second)
        except TreeSizeUnknown as exc:
            raise LookupError(str(exc)) from exc

    if key.record is None:
        raise record.SignerRefused("This key has no signer's record: it signs no tree head.")
    signature = record.approve(key.record, size, root, prove, lambda: key.sign(message))
    return SignedTreeHead(
        tree_size=size,
        timestamp=moment,
        root_hash=root.hex(),
        key_id=key.key_id,
        signature=signature,
        period=period,
    )


def sign(
    *, session: Session, key: OperatorKey, now: datetime, period: str | None = None
) -> SignedTreeHead:
    """Sign the stored tree as it is now and keep the head (``period``: the month close
    this one is for); dated ``now``, or later if the tree or an earlier head is newer."""
    size = tiles.stored_size(session)
    sth = _signed(session, key, size, max(now, dating.not_before(session, size)), period)
    session.add(sth)
    session.flush()
    return sth


def sign_close(
    *, session: Session, key: OperatorKey, period: str, size: int, now: datetime
) -> None:
    """The STH a month close pins: the tree of the first ``size`` transactions (the caller
    holds the chain lock, so the tree is exactly that)."""
    log.catch_up(session, upto=size)
    sign(session=session, key=key, now=now, period=period)


def stored(*, session: Session, size: int) -> SignedTreeHead | None:
    """The first head stored for ``size`` (a close's, or one signed as the log grew)."""
    return session.exec(
        select(SignedTreeHead)
        .where(SignedTreeHead.tree_size == size)
        .order_by(col(SignedTreeHead.id))
    ).first()


def newest(*, session: Session) -> SignedTreeHead | None:
    """The stored head of the largest tree."""
    return session.exec(
        select(SignedTreeHead).order_by(
            col(SignedTreeHead.tree_size).desc(), col(SignedTreeHead.id)
        )
    ).first()


def sign_grown(*, session: Session, key: OperatorKey) -> SignedTreeHead | None:
    """Sign and store a head of the tree as it is now if no head of its size is stored
    (the transparency worker, and ``latest``); the new head, else None. A tree smaller
    than the one the signer last signed is not signed (a close signing a larger one may
    not have committed yet; or rows were deleted): the stored heads are served instead."""
    size = tiles.stored_size(session)
    if stored(session=session, size=size) is not None:
        return None
    recorded = record.read(key.record) if key.record is not None else None
    if recorded is not None and size < recorded[0]:
        return None
    sth = _signed(session, key, size, dating.not_before(session, size))
    session.add(sth)
    session.flush()
    return sth


def latest(*, session: Session, key: OperatorKey) -> SignedTreeHead:
    """The head of the tree as it is: the stored one of its size, else one signed now
    through the signer's record, dated when the tree reached its size (its last
    transaction's booking time) and *not* stored (a GET never writes; replicas serve it):
    Ed25519 is deterministic, so every request for the size, and the head the worker
    stores later (``sign_grown``), are the same bytes. While the signer will not sign the
    current size (a smaller tree than it signed), the newest stored head."""
    size = tiles.stored_size(session)
    found = stored(session=session, size=size)
    if found is not None:
        return found
    recorded = record.read(key.record) if key.record is not None else None
    if recorded is not None and size < recorded[0]:
        found = newest(session=session)
        if found is None:
            raise TreeSizeUnknown("No tree head is stored for this log.", tree_size=size)
        return found
    return _signed(session, key, size, dating.not_before(session, size))


def of_size(*, session: Session, key: OperatorKey, size: int) -> SignedTreeHead:
    """The head stored for this size (the first, if several): a GET never signs a size
    the log has left behind, so a rewritten past cannot obtain a signature; the current
    size is signed on first request, like ``latest``. 404 for any other size."""
    sth = stored(session=session, size=size)
    if sth is not None:
        return sth
    current = tiles.stored_size(session)
    if size == current:
        return latest(session=session, key=key)
    if size > current:
        raise TreeSizeUnknown(f"The log holds fewer than {size} leaves.", tree_size=size)
    raise TreeSizeUnknown(
        f"No tree head was signed at size {size}; heads are signed as the log grows and at "
        "every close (GET /v1/transparency/checkpoint for the latest).",
        tree_size=size,
    )


def of_period(*, session: Session, period: str) -> SignedTreeHead | None:
    return session.exec(select(SignedTreeHead).where(SignedTreeHead.period == period)).first()


def _proved(session: Session, size: int, compute: Callable[[merkle.NodeReader], T]) -> T:
    """``compute`` over the stored tree, its tiles read in one query; a tree smaller than
    ``size`` shows as a missing node (no separate query for the tree's size)."""
    try:
        return compute(tiles.read_for(session, compute).node)
    except LookupError:
        stored = tiles.stored_size(session)
        raise TreeSizeUnknown(
            f"The log holds {stored} leaves, not {size}.", tree_size=size
        ) from None


def inclusion(*, session: Session, leaf_index: int, size: int) -> tuple[bytes, list[bytes]]:
    """The leaf's hash and its inclusion proof in the tree of ``size`` leaves."""
    if not 0 <= leaf_index < size:
        raise BadProofRequest(f"Leaf {leaf_index} is not in a tree of size {size}.")

    def compute(node: merkle.NodeReader) -> tuple[bytes, list[bytes]]:
        # The last leaf too: it exists only if the tree has reached ``size``.
        node(0, size - 1)
        return node(0, leaf_index), merkle.inclusion_proof(node, leaf_index, size)

    return _proved(session, size, compute)


def consistency(*, session: Session, first: int, second: int) -> list[bytes]:
    if not 0 < first <= second:
        raise BadProofRequest(f"No consistency proof from size {first} to {second}.")

    def compute(node: merkle.NodeReader) -> list[bytes]:
        node(0, second - 1)
        return merkle.consistency_proof(node, first, second)

    return _proved(session, second, compute)


def audit(*, session: Session, chunk: int = 5000) -> int | None:
    """Recompute every leaf from the ledger rows and compare it with the stored tree; the
    first leaf index that differs (a leg, salt or header altered, a transaction deleted
    or moved behind the service's back), or None."""
    size = tiles.stored_size(session)
    reader = tiles.TileReader(session)
    for after in range(0, size, chunk):
        expected = after
        for index, leaf in log.leaf_hashes(session, after=after, upto=min(after + chunk, size)):
            if index != expected or reader.node(0, index) != leaf:
                return expected
            expected += 1
        if expected != min(after + chunk, size):
            return expected
    return None


def matches_signer_record(*, session: Session, key: OperatorKey) -> bool | None:
    """Whether the stored tree, at the size the signer last signed, has the root it signed
    (None: nothing recorded, or the tree is smaller). Rebuilt tiles over rewritten rows
    pass ``audit`` (leaves and tiles agree) but not this."""
    recorded = record.read(key.record) if key.record is not None else None
    if recorded is None or recorded[0] == 0 or recorded[0] > tiles.stored_size(session):
        return None
    return root_hash(session=session, size=recorded[0]) == recorded[1]

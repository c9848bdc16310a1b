"""Signed tree heads and proofs over the stored tree (``tiles``)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlmodel import Session, col, select

from service.transparency import log, merkle, tiles
from service.transparency.exceptions import BadProofRequest, TreeSizeUnknown
from service.transparency.models import SignedTreeHead
from service.transparency.schemas import stamp
from service.transparency.signing import OperatorKey
from service.transparency.verifier import sth_message

T = TypeVar("T")
# GET /sth signs at most once a second (a flood of readers must not become a flood of
# signatures and rows).
_RESIGN_AFTER = timedelta(seconds=1)


def tree_size(*, session: Session) -> int:
    return tiles.stored_size(session)


def root_hash(*, session: Session, size: int) -> bytes:
    def compute(node: merkle.NodeReader) -> bytes:
        return merkle.range_hash(node, 0, size)

    return compute(tiles.read_for(session, compute).node)


def sign(
    *, session: Session, key: OperatorKey, now: datetime, period: str | None = None
) -> SignedTreeHead:
    """Sign the stored tree as it is now (``period``: the month close this one is for)."""
    size = tiles.stored_size(session)
    moment = now.astimezone(UTC).replace(microsecond=0)
    root = root_hash(session=session, size=size).hex()
    sth = SignedTreeHead(
        tree_size=size,
        timestamp=moment,
        root_hash=root,
        key_id=key.key_id,
        signature=key.sign(sth_message(size, stamp(moment), root)),
        period=period,
    )
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


def latest(*, session: Session, key: OperatorKey, now: datetime) -> SignedTreeHead:
    """The newest STH; a new one if the tree grew and the last is over a second old."""
    last = session.exec(select(SignedTreeHead).order_by(col(SignedTreeHead.id).desc())).first()
    if last is not None and (
        last.tree_size == tiles.stored_size(session) or now - last.timestamp < _RESIGN_AFTER
    ):
        return last
    return sign(session=session, key=key, now=now)


def of_size(*, session: Session, size: int) -> SignedTreeHead:
    sth = session.exec(
        select(SignedTreeHead)
        .where(SignedTreeHead.tree_size == size)
        .order_by(col(SignedTreeHead.id))
    ).first()
    if sth is None:
        raise TreeSizeUnknown(f"No tree head of size {size} was signed.", tree_size=size)
    return sth


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

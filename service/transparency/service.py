"""Signed tree heads and proofs over the stored tree (``tiles``)."""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from service.ledger import log, tiles
from service.proofs import merkle
from service.proofs.verifier import sth_message
from service.transparency import dating
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
    moment = dating.whole_second_up(moment)
    root = root_hash(session=session, size=size).hex()
    return SignedTreeHead(
        tree_size=size,
        timestamp=moment,
        root_hash=root,
        key_id=key.key_id,
        signature=key.sign(sth_message(size, stamp(moment), root)),
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


def latest(*, session: Session, key: OperatorKey) -> SignedTreeHead:
    """The head of the tree as it is: the one a close signed at this size, else one signed
    on demand and dated when the tree reached its size (its last transaction's booking
    time). Ed25519 signatures are deterministic, so every request for one tree size answers
    the same bytes: never more than one head per size, and nothing written (a GET never
    writes; replicas can serve it)."""
    return of_size(session=session, key=key, size=tiles.stored_size(session))


def of_size(*, session: Session, key: OperatorKey, size: int) -> SignedTreeHead:
    """The head a close signed at this size (the first, if several), else the on-demand
    head of that size; 404 beyond the tree. ``/sth`` and ``/sth/{size}`` therefore always
    agree on a size."""
    sth = session.exec(
        select(SignedTreeHead)
        .where(SignedTreeHead.tree_size == size)
        .order_by(col(SignedTreeHead.id))
    ).first()
    if sth is not None:
        return sth
    if size > tiles.stored_size(session):
        raise TreeSizeUnknown(f"The log holds fewer than {size} leaves.", tree_size=size)
    return _signed(session, key, size, dating.not_before(session, size))


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

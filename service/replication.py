"""Which session a read-mostly GET uses: a streaming replica when it is fresh enough.

A replica replays the primary's WAL a little behind it. The data served from replicas
changes only at known writes (a month's close; a takedown's request, decision or lift),
so freshness is a *watermark*: a tiny, monotonic query (the newest closed month, the
newest takedown event) asked of both. Equal values mean the replica has replayed every
such write the primary has committed, and serves the request; otherwise the primary
does — a caller never reads something older than what it (or anyone) just wrote.
While no primary answers (a failover), the replica serves: nothing new can be written then.
Framework-free: the routers pass the two sessions ``service.db`` hands them.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from service.failover import primary_unreachable

Watermark = Callable[[Session], object]
T = TypeVar("T")


def fresh_reader(*, primary: Session, reader: Session, watermark: Watermark) -> Session:
    """``reader`` when it has caught up with ``primary`` on ``watermark``, else ``primary``."""
    if reader is primary:
        return primary
    theirs = watermark(reader)
    try:
        ours = watermark(primary)
    except DBAPIError as exc:
        if not primary_unreachable(exc):
            raise
        primary.rollback()
        return reader  # no primary answers (a failover): the replica is what there is
    return reader if theirs == ours else primary


def first_holding(
    *,
    primary: Session,
    reader: Session,
    find: Callable[[Session], T],
    missing: type[Exception],
) -> tuple[Session, T]:
    """What ``find`` finds and the session holding it: the replica, or the primary when the
    replica has not replayed it yet (``find`` raises ``missing`` there)."""
    if reader is not primary:
        try:
            return reader, find(reader)
        except missing:
            pass
    return primary, find(primary)

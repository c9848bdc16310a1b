"""Following the PostgreSQL primary through a failover (docs/operations.md).

The service reaches a highly available pair through one multi-host URL
(``?host=a,b&port=p,q&target_session_attrs=read-write``): libpq tries the hosts in turn
and keeps the one that accepts writes, so after the manager promotes the standby every
*new* connection lands on the new primary. What this module adds:

- connection defaults for every PostgreSQL engine: a connect timeout per host (libpq
  waits for the operating system's TCP timeout otherwise, minutes for a host that is
  gone) and TCP keepalives, so a connection to a vanished server fails in seconds;
- :func:`primary_unreachable`: the errors that mean "the database server went away or
  is not accepting us now" — answered 503 with ``Retry-After`` (``service.problems``),
  never 500, because retrying is exactly right: sales and refunds are idempotent by id,
  and a batch whose commit was cut off is either durable (then a replay answers
  ``duplicate``) or absent (then the replay records it);
- :func:`read_despite_failover`: a read that falls back to a streaming replica while
  no primary answers, so statement pulls (and the key look-up in front of them) go on.

Pooled connections to the old primary are dropped by SQLAlchemy itself: ``make_engine``
pings each one at checkout, and a disconnect error invalidates the whole pool.
Framework-free: ``service.problems`` turns :func:`primary_unreachable` into the 503.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

T = TypeVar("T")

# Seconds a client should wait before retrying: a failover by the bundled pg_auto_failover
# settings takes ~13 s (docs/operations.md); clients retry a few times with this spacing.
RETRY_AFTER_S = 5
# libpq defaults applied unless the URL sets them: per-host connect timeout (seconds) and
# keepalives that notice a dead peer after ~10 s of silence.
CONNECT_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}
# SQLSTATEs of a server that is gone or not (yet) serving: class 08 (connection
# exception), admin/crash shutdown, and "cannot connect now" (starting up, in recovery).
_GONE_STATES = frozenset({"57P01", "57P02", "57P03"})


def follow_primary(engine: Engine) -> None:
    """Give a PostgreSQL engine's connections the defaults above (the URL's own win)."""

    @event.listens_for(engine, "do_connect")
    def _defaults(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        for name, value in CONNECT_DEFAULTS.items():
            params.setdefault(name, value)


def primary_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the PostgreSQL server is gone or not accepting connections
    (as during a failover), rather than that the request or the code is wrong."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    # No SQLSTATE: libpq's own failures (connection refused, server closed the
    # connection, no host accepting writes); a server's answer always carries one.
    return state is None or state.startswith("08") or state in _GONE_STATES


UNAVAILABLE_CODE = "database_unavailable"
UNAVAILABLE_DETAIL = (
    "The database server is not reachable (a failover may be under way). Whatever this "
    "request wrote was either committed in full or not at all: send it again after "
    f"{RETRY_AFTER_S} s (sales and refunds are idempotent by their ids)."
)


def read_despite_failover(
    *, primary: Session, replica: Callable[[], Engine | None], read: Callable[[Session], T]
) -> T:
    """``read(primary)``; while no primary answers, ``read`` on the engine ``replica()``
    names instead (asked only then).

    The replica may be a moment behind (it replays what the primary sent it); that is
    what a reader gets during a failover instead of an error. Without a replica the
    primary's error propagates (a 503).
    """
    try:
        return read(primary)
    except DBAPIError as exc:
        engine = replica() if primary_unreachable(exc) else None
        if engine is None:
            raise
        primary.rollback()  # the request's session stays usable (and commits nothing)
    with Session(engine, expire_on_commit=False) as session:
        return read(session)

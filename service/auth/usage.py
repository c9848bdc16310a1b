"""When each API key was last used, without a write on the request path.

A request only notes its key's use in this process's memory (:meth:`KeyUse.note`, a dict
assignment); a daemon thread writes what was noted once per interval (60 s by default,
``LEDGER_KEY_USE_FLUSH_SECONDS``), every key in one statement on a connection of its own,
and once more when the app stops. So a key calling a thousand times a second costs one
row update a minute per process, a GET never writes in its own transaction (replicas and
read-only transactions stay possible: tests/replication/test_gets_never_write.py), and
``last_used_at`` is exact to about the interval. A time is never moved backwards: another
process may have written a later one.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from service.auth.models import ApiKey

log = logging.getLogger(__name__)
_TABLE = ApiKey.__table__  # type: ignore[attr-defined]
_SET_IF_LATER = (
    sa.update(_TABLE)
    .where(
        _TABLE.c.id == sa.bindparam("b_id"),
        sa.or_(_TABLE.c.last_used_at.is_(None), _TABLE.c.last_used_at < sa.bindparam("b_at")),
    )
    .values(last_used_at=sa.bindparam("b_at"))
)


class KeyUse:
    """The last use of each key noted since the previous flush (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, datetime] = {}

    def note(self, key_id: str, when: datetime) -> None:
        with self._lock:
            if key_id not in self._pending or self._pending[key_id] < when:
                self._pending[key_id] = when

    def flush(self, session: Session) -> int:
        """Write what was noted in ``session`` (the caller commits); how many keys."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        rows = [{"b_id": key_id, "b_at": when} for key_id, when in sorted(pending.items())]
        try:
            session.connection().execute(_SET_IF_LATER, rows)  # one executemany
        except Exception:
            for key_id, when in pending.items():  # kept for the next flush
                self.note(key_id, when)
            raise
        return len(rows)


def _flush_until_stopped(
    engine: Engine, key_use: KeyUse, every_s: float, stop: threading.Event
) -> None:
    while True:
        stopping = stop.wait(every_s)
        try:
            with Session(engine) as session:
                key_use.flush(session)
                session.commit()
        except Exception:  # the database is away: try again next time, never die
            log.exception("could not write the API keys' last use")
        if stopping:
            return


@contextmanager
def flushing(engine: Engine, key_use: KeyUse, every_s: float) -> Iterator[None]:
    """Write ``key_use`` every ``every_s`` seconds while inside, and once on the way out;
    ``every_s`` 0: never (tests flush by hand)."""
    if every_s <= 0:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_flush_until_stopped,
        args=(engine, key_use, every_s, stop),
        name="api-key-use",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)

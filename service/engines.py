"""Database engines: the primary's and the replicas', tuned per engine. No web framework
here, so start-up, the webhook worker and the command line build engines without FastAPI."""

import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import create_engine

from service import failover


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _tune_sqlite(engine)
        return engine
    # JIT off: the service's statements are short index probes and bulk appends. PostgreSQL
    # decides to JIT-compile by estimated cost, and a table without fresh statistics (a
    # catalog just loaded, or autovacuum off as on the CI machine) makes a 10 ms probe look
    # huge: ~70-100 ms of compilation were measured on the sales path's catalog look-up.
    connect_args = {"options": "-c jit=off", **kwargs.pop("connect_args", {})}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    failover.follow_primary(engine)  # connect timeout and keepalives (a failover)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and never for SELECT, which breaks savepoints and
    # lets two writers interleave; take control of BEGIN ourselves (SQLAlchemy's recipe).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Writers take the write lock up front (no lock upgrades that fail mid-way); a
        # long read (a streamed statement) must not hold it, so it begins deferred.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "ledger_read_only"


def make_read_engines(urls: str | None) -> list[Engine]:
    """One engine per replica named in ``urls`` (comma-separated); none when unset."""
    names = [url.strip() for url in (urls or "").split(",") if url.strip()]
    engines: list[Engine] = []
    for url in names:
        options: dict[str, Any] = {READ_ONLY: True}
        if not url.startswith("sqlite"):
            # Read-only transactions: a replica that is in fact writable still refuses writes.
            options["postgresql_readonly"] = True
        engines.append(make_engine(url).execution_options(**options))
    return engines


class Replicas:
    """The app's replica engines, taken in turn (each worker spreads its own reads)."""

    def __init__(self, engines: Sequence[Engine]) -> None:
        self.engines = list(engines)
        self._turn = itertools.cycle(self.engines) if self.engines else None

    def next(self) -> Engine | None:
        return next(self._turn) if self._turn is not None else None

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()

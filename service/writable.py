"""Whether the database takes writes (issue #24, break 8).

A primary turned read-only (``default_transaction_read_only``, a failover that left the
service on a hot standby, a read-only SQLite file) answered every write with a 500 while
``/healthz`` and ``/readyz`` stayed 200, so a load balancer kept sending writes. Readiness
now asks the database whether this session may write, and a write it refuses is a 503
problem (``read_only``) rather than an unexpected error.
"""

import sqlite3

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

READ_ONLY_SQLSTATE = "25006"  # read_only_sql_transaction (PostgreSQL, SQL standard)
REFUSED = (
    "The database refuses writes (read-only: a hot standby or default_transaction_read_only"
    "); point LEDGER_DATABASE_URL at the primary."
)


def refuses_writes(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a write because it is read-only."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(original, "sqlstate", None) == READ_ONLY_SQLSTATE:
        return True
    if isinstance(original, sqlite3.OperationalError):
        return getattr(original, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY or (
            "readonly database" in str(original)
        )
    return False


def write_refusal(conn: Connection) -> str | None:
    """Why writes through ``conn`` would be refused, or None (PostgreSQL: the transaction is
    read-only, by setting or because the server is in recovery; SQLite: a write that
    changes nothing is refused, as on a read-only file)."""
    if conn.dialect.name == "postgresql":
        read_only = conn.execute(text("SELECT current_setting('transaction_read_only')"))
        return REFUSED if read_only.scalar_one() == "on" else None
    try:
        with conn.begin_nested():
            conn.execute(text("DELETE FROM alembic_version WHERE 0 = 1"))
    except DBAPIError as exc:
        if refuses_writes(exc):
            return REFUSED
        raise
    return None

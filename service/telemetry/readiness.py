"""Readiness: the database answers, takes writes, and its schema is at the migrations'
head."""

from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.writable import REFUSED, refuses_writes, write_refusal

ROOT = Path(__file__).resolve().parent.parent.parent


@lru_cache
def expected_heads() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code."""
    config = Config()
    config.set_main_option("script_location", str(ROOT / "alembic"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def not_ready(session: Session) -> str | None:
    """Why the service cannot serve yet, in one line a person can act on; None when ready."""
    try:
        conn = session.connection()
        conn.execute(text("SELECT 1"))
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
        refused = write_refusal(conn)
    except Exception as exc:  # any driver error means the same thing to a probe
        if refuses_writes(exc):  # SQLite: a read-only file refuses even to begin
            return REFUSED
        return f"The database does not answer ({type(exc).__name__})."
    expected = expected_heads()
    if current != expected:
        have = ", ".join(sorted(current)) or "none"
        want = ", ".join(sorted(expected))
        return (
            f"The database schema is at revision {have}, this code needs {want}: "
            "run `alembic upgrade head`."
        )
    return refused

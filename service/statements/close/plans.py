"""Planner settings and statistics for the close's month-wide statements (PostgreSQL).

The close writes rows (statements, usage rows) and reads them back in the same
transaction, before autovacuum could ever analyse them: the planner then believes a month
has one statement and reaches millions of legs through an index in a nested loop, one
lookup per leg (docs/performance-close.md). ``fresh`` analyses what was just written;
``hash_plan`` switches off the plans that only a wrong estimate makes look cheap, for
one statement (SET LOCAL, reset after: it never outlives the close's transaction).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session

from service.sql import is_postgresql

# Sorts stay allowed where a window function needs them (``sort=True``).
_NO_SORT = ("enable_sort",)
_HASH_ONLY = ("enable_mergejoin", "enable_nestloop")


@contextmanager
def hash_plan(session: Session, *, sort: bool = False) -> Iterator[None]:
    """Sequential scans, hash joins and hash aggregates for the statements inside."""
    if not is_postgresql(session):
        yield
        return
    settings = _HASH_ONLY if sort else _HASH_ONLY + _NO_SORT
    for setting in settings:
        session.execute(sa.text(f"SET LOCAL {setting} = off"))
    try:
        yield
    finally:
        for setting in settings:
            session.execute(sa.text(f"SET LOCAL {setting} TO DEFAULT"))


def fresh(session: Session, *tables: str) -> None:
    """ANALYZE tables the close has just written (a few hundred ms for a sample of each)."""
    if is_postgresql(session):
        for table in tables:
            session.execute(sa.text(f"ANALYZE {table}"))

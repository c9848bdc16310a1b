"""Many-row INSERTs that stay one statement on PostgreSQL however many rows there are.

On PostgreSQL the rows travel as one array per column and ``unnest`` turns them back
into rows: one statement, one round trip, no per-row parsing (psycopg's executemany
would pipeline one statement per row; SQLAlchemy's multi-row VALUES compiles thousands of
placeholders). SQLite, in-process, keeps a plain executemany.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Session


def unnest_insert(
    dialect: Dialect, table: sa.Table, rows: Sequence[dict[str, Any]], *, suffix: str = ""
) -> tuple[sa.TextClause, dict[str, list[Any]]]:
    """``INSERT INTO table (cols) SELECT .. FROM unnest(arrays) <suffix>`` and its params.

    Values go through each column type's own bind conversion first (Money -> micros,
    UTC checks...); JSON travels as text and is cast back per row.
    """
    names = list(rows[0])
    params: dict[str, list[Any]] = {}
    arrays, selects = [], []
    for i, name in enumerate(names):
        column_type = table.c[name].type
        values = [row[name] for row in rows]
        if isinstance(column_type, sa.JSON):
            values = [None if v is None else json.dumps(v) for v in values]
            array_type, select = "text", f"c{i}::json"
        else:
            process = column_type.bind_processor(dialect)
            if process is not None:
                values = [process(v) for v in values]
            array_type, select = column_type.compile(dialect=dialect), f"c{i}"
        params[f"p{i}"] = values
        arrays.append(f"CAST(:p{i} AS {array_type}[])")
        selects.append(select)
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 (names from the table)
        f"SELECT {', '.join(selects)} FROM unnest({', '.join(arrays)}) AS t({aliases}) {suffix}"
    )
    return sa.text(sql), params


def insert_rows(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, as one statement on PostgreSQL."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        statement, params = unnest_insert(dialect, table, rows)
        session.execute(statement, params)
    else:
        session.execute(sa.insert(table), list(rows))

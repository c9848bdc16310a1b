"""The one SQL layer: dialect checks, table access and many-row writes.

Everything that differs between PostgreSQL and SQLite lives here, so domains ask
``is_postgresql`` once instead of spelling dialect names out.

Many-row INSERTs stay one statement on PostgreSQL however many rows there are;
``insert_ignoring_duplicates``/``copy_ignoring_duplicates`` let a unique constraint, not a
prior read, decide which rows are new.

``copy_rows`` streams rows with PostgreSQL's ``COPY .. FROM STDIN`` (psycopg formats each
row in C: no per-row SQL, no parameter arrays to build and escape); SQLite, in-process,
gets a plain executemany of the same tuples. ``unnest_insert`` (one array per column,
turned back into rows by ``unnest``) remains for statements that need a suffix on a
small number of rows.
"""

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import Session, SQLModel

from service.money import ExactDecimal, Money, to_micros


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table behind a table model (SQLModel does not type ``__table__``)."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


def among(session: Session, column: sa.ColumnElement[Any], values: Sequence[Any]) -> Any:
    """``column IN values``: on PostgreSQL ``= ANY(array)``, one parameter however many
    values (an expanding IN renders and names one placeholder per value, ~0.1 ms each)."""
    if is_postgresql(session):
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    return column.in_(values)


def raw_connection(session: Session) -> "psycopg.Connection[Any]":
    """The psycopg connection under the session's current transaction (PostgreSQL only)."""
    return cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)


def copy_rows(
    session: Session,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    into: str | None = None,
) -> None:
    """Append rows (tuples of values in ``columns`` order) to ``table`` (or ``into``).

    Values are what the model holds (Decimal money, aware datetimes...) and go through
    each column type's own bind conversion, so both engines store exactly what an ORM
    insert would; a JSON column takes its value as already-encoded JSON text, and a
    column ``table`` does not have (``into`` a staging table) is passed as is. ``COPY``
    on PostgreSQL, one executemany on SQLite.
    """
    dialect = session.get_bind().dialect
    processors = [
        _processor(table.c[name], dialect) if name in table.c else None for name in columns
    ]
    converted = [(i, p) for i, p in enumerate(processors) if p is not None]
    prepared: Iterable[Sequence[Any]] = (
        (_convert(row, converted) for row in rows) if converted else rows
    )
    names = ", ".join(columns)
    target = into or table.name
    if is_postgresql(session):
        with (
            raw_connection(session).cursor() as cursor,
            cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy,
        ):
            for row in prepared:
                copy.write_row(row)
        return
    batch = [tuple(row) for row in prepared]
    if batch:
        marks = ", ".join("?" for _ in columns)
        session.connection().exec_driver_sql(
            f"INSERT INTO {target} ({names}) VALUES ({marks})",  # noqa: S608 (our names)
            batch,
        )


def _processor(column: sa.Column[Any], dialect: Dialect) -> Any:
    if isinstance(column.type, sa.JSON):
        return None  # given as JSON text
    if isinstance(column.type, Money):
        return _micros  # what Money's bind does, without SQLAlchemy's wrappers
    if isinstance(column.type, ExactDecimal) and dialect.name == "postgresql":
        return None  # a Decimal goes to NUMERIC as it is
    return column.type.bind_processor(dialect)


def _micros(value: Any) -> int:
    return to_micros(value if isinstance(value, Decimal) else Decimal(value))


def _convert(row: Sequence[Any], converted: list[tuple[int, Any]]) -> list[Any]:
    values = list(row)
    for i, process in converted:
        value = values[i]
        if value is not None:
            values[i] = process(value)
    return values


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


def insert_ignoring_duplicates(
    session: Session,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    unique: Sequence[str],
    key: str,
    *,
    json_text: bool = False,
) -> dict[Any, int]:
    """``INSERT .. ON CONFLICT (unique) DO NOTHING RETURNING id, key`` for many rows.

    Returns key -> new id for the rows actually inserted; a row the constraint refused
    (recorded meanwhile by someone else) is simply absent. One ``unnest`` statement on
    PostgreSQL; an executemany (multi-row VALUES batches) on SQLite. ``json_text``: JSON
    columns are given as encoded text (SQLite stores JSON as that text).
    """
    if not rows:
        return {}
    dialect = session.get_bind().dialect
    if is_postgresql(session):
        suffix = f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING id, {key}"
        text, params = unnest_insert(dialect, table, rows, suffix=suffix)
        return {row[1]: row[0] for row in session.execute(text, params)}
    target = _as_text_json(table) if json_text else table
    statement = (
        sqlite.insert(target)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(target.c.id, target.c[key])
    )
    return {row[1]: row[0] for row in session.execute(statement, list(rows))}


def _as_text_json(table: sa.Table) -> sa.TableClause:
    """``table`` with its JSON columns typed as text (values already encoded)."""
    return sa.table(
        table.name,
        *(
            sa.column(c.key, sa.Text() if isinstance(c.type, sa.JSON) else c.type)
            for c in table.columns
        ),
    )


def copy_ignoring_duplicates(
    session: Session,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: Sequence[str],
    key: str,
) -> dict[Any, int]:
    """``insert_ignoring_duplicates`` of many rows (tuples in ``columns`` order, JSON as
    encoded text), inserted in the order given.

    PostgreSQL stages the rows with COPY in a temporary table of the same column types
    (no per-row SQL, no parameter arrays), then moves them with one
    ``INSERT .. ON CONFLICT DO NOTHING RETURNING``; SQLite inserts them directly.
    """
    if not rows:
        return {}
    if not is_postgresql(session):
        dicts = [dict(zip(columns, row, strict=True)) for row in rows]
        return insert_ignoring_duplicates(session, table, dicts, unique, key, json_text=True)
    names = ", ".join(columns)
    staging = f"{table.name}_incoming"
    connection = session.connection()
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT 0 AS n, {names} FROM {table.name} WITH NO DATA"
    )
    copy_rows(
        session, table, ("n", *columns), ((n, *row) for n, row in enumerate(rows)), into=staging
    )
    moved = connection.exec_driver_sql(
        f"WITH staged AS (DELETE FROM {staging} RETURNING *) "  # noqa: S608 (our own names)
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM staged ORDER BY n "
        f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING id, {key}"
    )
    return {row[1]: row[0] for row in moved}

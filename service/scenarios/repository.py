"""The scenarios domain's queries: the months' sales grouped for pricing, the books they
are compared with, and the stored report (read with the statements' access rule).

Sales are read through ``sales.repository.sale_facts``/``sale_day`` and the books through
``ledger.repository``: this module names only its own tables.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.auth.caller import Caller
from service.ledger import repository as ledger
from service.sales.repository import sale_day, sale_facts
from service.scenarios.models import ScenarioException, ScenarioRow
from service.sql import copy_rows, is_postgresql, table_of
from service.statements.access import readable_party_rows

ROWS = table_of(ScenarioRow)
EXCEPTIONS = table_of(ScenarioException)
ROW_COLUMNS = (
    "scenario_id",
    "party",
    "holder_id",
    "currency",
    "territory",
    "right_type",
    "books",
    "scenario",
)
EXCEPTION_COLUMNS = (
    "scenario_id",
    "reason",
    "territory",
    "priced_in",
    "currency",
    "sales",
    "units",
    "amount",
)


def sale_filter(
    *, period_from: str, period_to: str, store_code: str | None
) -> list[sa.ColumnElement[bool]]:
    """Which sales a scenario re-prices: those of the months (of one store, or all)."""
    sales = sale_facts()
    where: list[sa.ColumnElement[bool]] = [sales.c.period.between(period_from, period_to)]
    if store_code is not None:
        where.append(sales.c.store_code == store_code)
    return where


def sale_pks(where: Sequence[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """The ids of the sales ``where`` selects (what the ledger's reads take)."""
    return sa.select(sale_facts().c.id).where(*where)


def sale_rows(session: Session, where: Sequence[sa.ColumnElement[bool]]) -> Iterator[sa.Row[Any]]:
    """The sales ``where`` selects, grouped by everything that decides their money: (store,
    ISRC, buyer's territory, currency, day, unit price in micro-units, units sold, units
    outstanding, number of sales). The day is a date (ISO text on SQLite); segments are
    the caller's (``scenarios.segments``: they differ per kind of sale).

    10^6 sales are some 5 x 10^5 rows, read as plain tuples (no ORM object, no Decimal),
    converted ``_BATCH`` at a time. Not through a server-side cursor: PostgreSQL plans a
    cursor's query without parallel workers, and this one scans every leg of the month
    (3.8 s with two workers at 10^6 sales; the text result is some 40 MB)."""
    sales = sale_facts()
    units = ledger.store_units_of_sales(sale_pks(where))
    keys = (
        sales.c.store_code,
        sales.c.isrc,
        sales.c.territory,
        sales.c.currency,
        sale_day(session),
        # The raw micro-units: a Decimal per row would cost more than the row itself.
        sa.type_coerce(sales.c.unit_price, sa.BigInteger),
        sales.c.quantity,
        sa.func.coalesce(units.c.units, sales.c.quantity),
    )
    query = (
        sa.select(*keys, sa.func.count())
        .select_from(sales.outerjoin(units, units.c.sale_pk == sales.c.id))
        .where(*where)
        .group_by(*keys)
    )
    _room_to_aggregate(session)
    for batch in session.execute(query).partitions(_BATCH):
        yield from batch


_BATCH = 20_000


def _room_to_aggregate(session: Session) -> None:
    """Lets PostgreSQL hash the month's groups in memory for this transaction: with the
    default 4 MB, 10^6 sales are sorted on disk by eight keys instead (SET LOCAL: back to
    the server's setting when the scenario's transaction ends)."""
    if is_postgresql(session):
        session.execute(sa.text(f"SET LOCAL work_mem = '{_WORK_MEM}'"))


_WORK_MEM = "256MB"


def insert_report(
    session: Session, rows: Sequence[tuple[Any, ...]], exceptions: Sequence[tuple[Any, ...]]
) -> None:
    """The report's rows (``ROW_COLUMNS``) and exceptions (``EXCEPTION_COLUMNS``)."""
    copy_rows(session, ROWS, ROW_COLUMNS, rows)
    copy_rows(session, EXCEPTIONS, EXCEPTION_COLUMNS, exceptions)


def readable_rows(session: Session, *, scenario_id: str, caller: Caller) -> list[sa.Row[Any]]:
    """The report's rows ``caller`` may read (the statements' rule), in a stable order."""
    where = readable_party_rows(caller, party=ROWS.c.party, holder_id=ROWS.c.holder_id)
    query = (
        sa.select(*(ROWS.c[c] for c in ROW_COLUMNS[1:]))
        .where(ROWS.c.scenario_id == scenario_id, where)
        .order_by(ROWS.c.party, ROWS.c.currency, ROWS.c.territory, ROWS.c.right_type, ROWS.c.id)
    )
    return list(session.execute(query))


def exceptions(session: Session, *, scenario_id: str) -> list[sa.Row[Any]]:
    query = (
        sa.select(*(EXCEPTIONS.c[c] for c in EXCEPTION_COLUMNS[1:]))
        .where(EXCEPTIONS.c.scenario_id == scenario_id)
        .order_by(EXCEPTIONS.c.reason, EXCEPTIONS.c.territory, EXCEPTIONS.c.currency)
    )
    return list(session.execute(query))

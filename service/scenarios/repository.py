"""The scenarios domain's queries: the months' sales grouped for pricing, the books they
are compared with, and the stored report (read with the statements' access rule).

Sales are read through ``sales.repository.sale_facts``/``sale_day`` and the books through
``ledger.repository``: this module names only its own tables.
"""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.auth.caller import Caller
from service.ledger import repository as ledger
from service.sales.repository import sale_day, sale_facts
from service.scenarios.models import ScenarioException, ScenarioRow
from service.scenarios.pricing import Group
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


def sale_pks(*, period_from: str, period_to: str, store_code: str | None) -> sa.Select[Any]:
    """The ids of the sales of those months (of one store, or all)."""
    sales = sale_facts()
    query = sa.select(sales.c.id).where(sales.c.period.between(period_from, period_to))
    if store_code is not None:
        query = query.where(sales.c.store_code == store_code)
    return query


def sale_keys(session: Session, pks: sa.Select[Any]) -> list[tuple[str, str, str, str]]:
    """The distinct (store, ISRC, buyer's territory, currency) of the sales ``pks`` selects."""
    sales = sale_facts()
    columns = (sales.c.store_code, sales.c.isrc, sales.c.territory, sales.c.currency)
    query = sa.select(*columns).where(sales.c.id.in_(pks)).distinct()
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(query)]


def sale_groups(
    session: Session, pks: sa.Select[Any], *, start: date, cuts: Sequence[date]
) -> Iterator[Group]:
    """The sales ``pks`` selects, grouped by everything that decides their money, their
    day taken as the first day of its segment (``start``, or the latest of ``cuts`` on or
    before it: ``scenarios.pricing.segments``). One query: 10^6 sales of a catalogue
    that does not change within the month arrive as far fewer groups."""
    sales = sale_facts()
    units = ledger.store_units_of_sales(pks)
    segment = _segment(session, start, cuts)
    keys = (
        sales.c.store_code,
        sales.c.isrc,
        sales.c.territory,
        sales.c.currency,
        sales.c.unit_price,
        sales.c.quantity,
        sa.func.coalesce(units.c.units, sales.c.quantity),
        *([segment] if cuts else []),
    )
    names = ("store_code", "isrc", "territory", "currency", "unit_price", "quantity")
    labelled = [
        key.label(name) for key, name in zip(keys, (*names, "outstanding", "day"), strict=False)
    ]
    query = (
        sa.select(*labelled, sa.func.count().label("sales"))
        .select_from(sales.outerjoin(units, units.c.sale_pk == sales.c.id))
        .where(sales.c.id.in_(pks))
        .group_by(*keys)
    )
    for row in session.execute(query):
        on = start if not cuts else _day(row.day)
        yield Group(
            row.store_code,
            row.isrc,
            row.territory,
            row.currency,
            on,
            row.unit_price,
            int(row.quantity),
            int(row.outstanding),
            int(row.sales),
        )


def _segment(session: Session, start: date, cuts: Sequence[date]) -> sa.ColumnElement[Any]:
    """The first day of a sale's segment. The dates are written inline (ISO text from
    ``date`` objects): bound parameters would differ between SELECT and GROUP BY."""
    day = sale_day(session)
    postgresql = is_postgresql(session)

    def literal(d: date) -> sa.ColumnElement[Any]:
        return sa.literal_column(f"DATE '{d.isoformat()}'" if postgresql else f"'{d.isoformat()}'")

    whens = [(day >= literal(cut), literal(cut)) for cut in sorted(cuts, reverse=True)]
    return sa.case(*whens, else_=literal(start)) if whens else literal(start)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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

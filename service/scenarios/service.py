"""Scenarios: re-price months of sales under another rule or tariff, beside the books.

``run`` reads the months' sales grouped by what decides their money, re-prices each group
once through ``scenarios.pricing`` (the booking engine), reads what the ledger holds for
the same sales, and stores both side by side. It writes only its own tables: nothing is
booked, no balance, statement or log moves (a test compares every table and ``verify``).
"""

import calendar
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.errors import Invalid
from service.ledger import repository as ledger
from service.ledger import service as ledger_service
from service.parties.service import store_licences
from service.sales.pricing.engine.engine import TariffTerms
from service.scenarios import repository
from service.scenarios.exceptions import ScenarioNotFound
from service.scenarios.models import Scenario
from service.scenarios.pricing import Override, Rules
from service.scenarios.schemas import ScenarioCreate, TariffOverride, TerritoryRule
from service.scenarios.tally import ExceptionKey, RowKey, tally
from service.timeutil import utcnow

_ZERO = Decimal("0.000000")


@dataclass(slots=True)
class Report:
    """A stored scenario and the part of its report one caller may read."""

    scenario: Scenario
    rows: list[sa.Row[Any]]  # party, holder_id, currency, territory, right_type, books, scenario
    exceptions: list[sa.Row[Any]]  # empty for anyone but an admin
    differs_from_books: bool  # over the rows shown
    admin: bool  # reads the header's volumes and the exceptions


def run(*, session: Session, data: ScenarioCreate) -> Scenario:
    """Re-price the months ``data`` names and store the report (writes nothing else)."""
    period_to = data.period_to or data.period_from
    licences = _licences(session, data)
    rules = Rules(
        licences=licences,
        overrides=tuple(_override(o) for o in data.tariffs),
        catalogue_date=data.catalogue_date,
    )
    head = ledger_service.head(session=session).sequence
    where = repository.sale_filter(
        period_from=data.period_from, period_to=period_to, store_code=data.store
    )
    start, end = _first_day(data.period_from), _last_day(period_to)
    grouped = repository.sale_rows(session, where)
    side = tally(session=session, rows=grouped, rules=rules, start=start, end=end)
    amounts, held = side.decimals()
    books: dict[RowKey, Decimal] = {}
    for row in ledger.royalties_of_sales(session, repository.sale_pks(where)):
        key = (row.account, row.holder_id, row.currency, row.territory, row.right_type)
        books[key] = books.get(key, _ZERO) + row.amount
    scenario = Scenario(
        id=uuid.uuid4().hex,
        created_at=utcnow(),
        period_from=data.period_from,
        period_to=period_to,
        store_code=data.store,
        territory_rule=data.territory.value,
        catalogue_date=data.catalogue_date,
        overrides=[o.model_dump(mode="json") for o in data.tariffs],
        sales=side.sales,
        groups=side.groups,
        ledger_sequence=head,
        differs_from_books=False,
    )
    rows = []
    for key in sorted(books.keys() | amounts.keys(), key=_sortable):
        was, now = books.get(key, _ZERO), amounts.get(key, _ZERO)
        if was or now:
            rows.append((scenario.id, *key, was, now))
            scenario.differs_from_books |= was != now
    session.add(scenario)
    session.flush()
    unpaid = sorted(held.items(), key=_held_order)
    repository.insert_report(session, rows, [(scenario.id, *key, *value) for key, value in unpaid])
    return scenario


def _sortable(key: RowKey) -> tuple[str, ...]:
    return tuple(part or "" for part in key)


def _licences(session: Session, data: ScenarioCreate) -> dict[str, str | None] | None:
    codes = None if data.store is None else [data.store]
    known = store_licences(session=session, codes=codes)
    if data.store is not None and data.store not in known:
        why = f"no store {data.store}"
        raise Invalid(f"store: {why}.", errors=[{"loc": ["body", "store"], "msg": why}])
    return known if data.territory is TerritoryRule.store_licence else None


def _override(o: TariffOverride) -> Override:
    terms = TariffTerms(
        right_type=o.right_type.value,
        currency=o.currency,
        percent_of_gross=o.percent_of_gross,
        per_unit=o.per_unit,
        per_minute_rate=None if o.per_minute is None else o.per_minute.rate,
        per_minute_over_seconds=0 if o.per_minute is None else o.per_minute.over_seconds,
    )
    return Override(o.territory, terms)


def _held_order(item: tuple[ExceptionKey, list[Any]]) -> tuple[str, ...]:
    return tuple(part or "" for part in item[0])


def _first_day(period: str) -> date:
    year, month = map(int, period.split("-"))
    return date(year, month, 1)


def _last_day(period: str) -> date:
    year, month = map(int, period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def get(*, session: Session, scenario_id: str, caller: Caller) -> Report:
    """The scenario with the rows ``caller`` may read (the statements' access rule): a
    society its own, a holder its own and its lines under societies, an admin all."""
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise ScenarioNotFound(f"No scenario {scenario_id}.")
    rows = repository.readable_rows(session, scenario_id=scenario_id, caller=caller)
    held = repository.exceptions(session, scenario_id=scenario_id) if caller.is_admin else []
    differs = (
        scenario.differs_from_books
        if caller.is_admin
        else any(row.books != row.scenario for row in rows)
    )
    return Report(scenario, rows, held, differs, caller.is_admin)


def recent(*, session: Session, limit: int = 100) -> list[Scenario]:
    """The newest scenarios (their rules and headers; no party's amounts)."""
    query = select(Scenario).order_by(col(Scenario.created_at).desc()).limit(limit)
    return list(session.exec(query))

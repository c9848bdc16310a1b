"""Scenarios: re-price months of sales under another rule or tariff, beside the books.

``run`` reads the months' sales grouped by what decides their money, re-prices each group
once through ``scenarios.pricing`` (the booking engine), reads what the ledger holds for
the same sales, and stores both side by side. It writes only its own tables: nothing is
booked, no balance, statement or log moves (a test compares every table and ``verify``).
"""

import calendar
import uuid
from collections import defaultdict
from collections.abc import Iterable
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
from service.scenarios.pricing import Group, Override, Priced, Rules, price_groups, segments
from service.scenarios.schemas import ScenarioCreate, TariffOverride, TerritoryRule
from service.timeutil import utcnow

# (party, holder id, currency, buyer's territory, right type): one row of the report.
RowKey = tuple[str, str | None, str, str, str | None]
# (reason, buyer's territory, territory priced in, currency)
ExceptionKey = tuple[str, str, str | None, str]
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
    pks = repository.sale_pks(
        period_from=data.period_from, period_to=period_to, store_code=data.store
    )
    start, end = _first_day(data.period_from), _last_day(period_to)
    keys = repository.sale_keys(session, pks)
    cuts = segments(session=session, keys=keys, rules=rules, start=start, end=end)
    groups = list(repository.sale_groups(session, pks, start=start, cuts=cuts))
    scenario_side, held = _tally(price_groups(session=session, groups=groups, rules=rules))
    books: dict[RowKey, Decimal] = {}
    for row in ledger.royalties_of_sales(session, pks):
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
        sales=sum(g.sales for g in groups),
        groups=len(groups),
        ledger_sequence=head,
        differs_from_books=False,
    )
    rows = []
    for key in sorted(books.keys() | scenario_side.keys(), key=_sortable):
        was, now = books.get(key, _ZERO), scenario_side.get(key, _ZERO)
        if was or now:
            rows.append((scenario.id, *key, was, now))
            scenario.differs_from_books |= was != now
    session.add(scenario)
    session.flush()
    repository.insert_report(
        session, rows, [(scenario.id, *key, *value) for key, value in sorted(held.items())]
    )
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


def _tally(
    priced: Iterable[tuple[Group, Priced]],
) -> tuple[dict[RowKey, Decimal], dict[ExceptionKey, list[Any]]]:
    """Every line's money times the number of sales behind it; what is unpaid, per
    exception. Sales are counted per shared ``Priced`` first and multiplied once."""
    counted: dict[tuple[int, str, str], list[int]] = {}
    results: dict[int, Priced] = {}
    for group, result in priced:
        results[id(result)] = result
        entry = counted.setdefault((id(result), group.currency, group.territory), [0, 0])
        entry[0] += group.sales
        entry[1] += group.outstanding * group.sales
    amounts: dict[RowKey, Decimal] = defaultdict(lambda: _ZERO)
    held: dict[ExceptionKey, list[Any]] = {}
    for (which, currency, territory), (sales, units) in counted.items():
        result = results[which]
        reasons = {result.reason: _ZERO} if result.reason is not None else result.held
        for reason, amount in reasons.items():
            unpaid = held.setdefault((reason, territory, result.priced_in, currency), [0, 0, _ZERO])
            unpaid[0] += sales
            unpaid[1] += units
            unpaid[2] += amount * sales
        for (account, holder, right_type), amount in result.amounts.items():
            amounts[(account, holder, currency, territory, right_type)] += amount * sales
    return dict(amounts), held


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

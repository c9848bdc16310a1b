"""The scenario's side of the report: the month's grouped sales re-priced and summed.

Three passes, all in integers (micro-units; Decimals only for the finished rows):

1. the grouped rows (``repository.sale_rows``: one per store, ISRC, territory, currency,
   day, price, units sold and outstanding) are filed under their kind (store, ISRC,
   territory, currency) — the kinds are what the snapshot is loaded for;
2. each kind's days are mapped to its segments (``scenarios.segments``) and each
   (segment, price) to its pricer, once; sales are counted per (pricer, price, units,
   store, territory, currency);
3. each counted entry's ``Outcome`` (memoised per pricer, price and units) is multiplied
   by its count into the rows and the exceptions.
"""

import bisect
import gc
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from service.ledger import accounts
from service.sales.pricing.engine.quanta import from_quanta
from service.scenarios.pricing import NO_STORE_LICENCE, UNLICENSED, Repricer, Rules
from service.scenarios.workers import run_parts

# (party, holder id, currency, buyer's territory, right type): one row of the report.
RowKey = tuple[str, str | None, str, str, str | None]
# (reason, buyer's territory, territory priced in, currency)
ExceptionKey = tuple[str, str, str | None, str]
# (store, ISRC, buyer's territory, currency): a kind of sale.
Kind = tuple[str, str, str, str]
# (day, price in micro-units, units sold, units outstanding, sales)
Sold = tuple[Any, int, int, int, int]
# (pricer, price, units sold, outstanding, store, buyer's territory, currency)
Counted = tuple[Hashable, int, int, int, str, str, str]


@dataclass(slots=True)
class Tally:
    """The scenario's side: money per row and what stays unpaid per exception (sales,
    units, amount), in micro-units until ``decimals``, and the volumes."""

    amounts: dict[RowKey, int] = field(default_factory=dict)
    held: dict[ExceptionKey, list[int]] = field(default_factory=dict)
    sales: int = 0
    groups: int = 0  # distinct (kind, segment, price, units sold, outstanding)

    def add(self, other: "Tally") -> None:
        for row, amount in other.amounts.items():
            self.amounts[row] = self.amounts.get(row, 0) + amount
        for key, (sales, units, amount) in other.held.items():
            unpaid = self.held.setdefault(key, [0, 0, 0])
            unpaid[0] += sales
            unpaid[1] += units
            unpaid[2] += amount
        self.sales += other.sales
        self.groups += other.groups

    def decimals(self) -> tuple[dict[RowKey, Decimal], dict[ExceptionKey, list[Any]]]:
        """The rows' amounts and the exceptions' as Decimals (what the report stores)."""
        amounts = {row: from_quanta(amount) for row, amount in self.amounts.items()}
        held = {key: [s, u, from_quanta(a)] for key, (s, u, a) in self.held.items()}
        return amounts, held


def tally(
    *, session: Session, rows: Iterable[tuple[Any, ...]], rules: Rules, start: date, end: date
) -> Tally:
    """Re-price the grouped ``rows`` (``repository.sale_rows``) under ``rules``."""
    # Millions of small tuples and dicts, almost none in a cycle: the cyclic collector
    # would walk them again and again for nothing. Reference counting still frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _tally(session, rows, rules, start, end)
    finally:
        if collecting:
            gc.enable()


def _tally(
    session: Session, rows: Iterable[tuple[Any, ...]], rules: Rules, start: date, end: date
) -> Tally:
    kinds: dict[Kind, list[Sold]] = {}
    for store, isrc, territory, currency, day, price, quantity, outstanding, sales in rows:
        kind = (store, isrc, territory, currency)
        sold = kinds.get(kind)
        if sold is None:
            sold = kinds[kind] = []
        sold.append((day, price, quantity, outstanding, sales))
    repricer = Repricer(session=session, keys=kinds, rules=rules, start=start, end=end)
    # Every read of the database happens here, before any worker starts.
    repricer.segments.read_rates(
        (where, currency)
        for store, _, territory, currency in kinds
        if (where := repricer.where(store, territory)) is not None
    )
    return run_parts(lambda part: _price(repricer, part), list(kinds.items()), key=_isrc)


def _isrc(item: tuple[Kind, list[Sold]]) -> str:
    return item[0][1]


def _price(repricer: Repricer, kinds: list[tuple[Kind, list[Sold]]]) -> Tally:
    """One part of the kinds re-priced (in one process: the parent or a worker)."""
    result = Tally()
    counted: dict[Counted, list[Any]] = {}
    for kind, sold in kinds:
        result.groups += _count(repricer, kind, sold, counted, result)
    _multiply(repricer, counted, result)
    return result


def _count(
    repricer: Repricer, kind: Kind, sold: list[Sold], counted: dict[Counted, list[Any]], out: Tally
) -> int:
    """File one kind's sales under their pricers; the number of distinct groups."""
    store, isrc, territory, currency = kind
    where = repricer.where(store, territory)
    if where is None:
        for _, _, _, outstanding, sales in sold:
            _hold(out, (NO_STORE_LICENCE, territory, None, currency), sales, outstanding, 0)
            out.sales += sales
        return len({entry[1:4] for entry in sold})
    cuts = repricer.segments.cuts(isrc, where, currency)
    segment_of = _segmenter(cuts, repricer.segments.start)
    pricers: dict[tuple[date, int], Hashable] = {}
    groups: set[tuple[date, int, int, int]] = set()
    for day, price, quantity, outstanding, sales in sold:
        on = segment_of(day)
        pricer = pricers.get((on, price), _MISSING)
        if pricer is _MISSING:
            pricer = pricers[(on, price)] = repricer.pricer(isrc, where, currency, on, price)
        groups.add((on, price, quantity, outstanding))
        out.sales += sales
        if pricer is None:
            _hold(out, (UNLICENSED, territory, where, currency), sales, outstanding, 0)
            continue
        key = (pricer, price, quantity, outstanding, store, territory, currency)
        entry = counted.get(key)
        if entry is None:
            counted[key] = [sales, where]
        else:
            entry[0] += sales
    return len(groups)


_MISSING: Hashable = object()


def _segmenter(cuts: list[date], start: date) -> Callable[[Any], date]:
    """Maps a sale's day (a date, or ISO text on SQLite) to its segment's first day."""
    memo: dict[Any, date] = {}

    def segment_of(day: Any) -> date:
        found = memo.get(day)
        if found is None:
            on = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
            at = bisect.bisect_right(cuts, on)
            found = memo[day] = cuts[at - 1] if at else start
        return found

    return segment_of


def _multiply(repricer: Repricer, counted: dict[Counted, list[Any]], out: Tally) -> None:
    """Every counted entry's outcome times its sales, into the rows and the exceptions."""
    quanta: dict[RowKey, int] = {}
    stores: dict[str, str] = {}
    for (
        pricer,
        price,
        quantity,
        outstanding,
        store,
        territory,
        currency,
    ), entry in counted.items():
        sales, where = entry
        outcome = repricer.outcome(pricer, price, quantity, outstanding)
        for (account, holder, right_type), amount in outcome.lines:
            row = (account, holder, currency, territory, right_type)
            quanta[row] = quanta.get(row, 0) + amount * sales
        store_account = stores.get(store)
        if store_account is None:
            store_account = stores[store] = accounts.store(store)
        row = (store_account, None, currency, territory, None)
        quanta[row] = quanta.get(row, 0) - outcome.total * sales
        for reason, amount in outcome.held:
            _hold(out, (reason, territory, where, currency), sales, outstanding, amount)
    out.amounts = quanta


def _hold(out: Tally, key: ExceptionKey, sales: int, outstanding: int, amount: int) -> None:
    """``sales`` sales left unpaid for ``key``'s reason (``amount`` micro-units each)."""
    unpaid = out.held.get(key)
    if unpaid is None:
        unpaid = out.held[key] = [0, 0, 0]
    unpaid[0] += sales
    unpaid[1] += outstanding * sales
    unpaid[2] += amount * sales

"""Re-pricing for scenarios: the ONE place a scenario calls the royalty engine.

A scenario prices sales with exactly the engine that booked them (the write path's
snapshot and its compiled plans, ``service.sales.pricing.plans``), only with other
inputs: the territory a sale is priced in (the buyer's, or the store's licence), tariffs
overridden for a negotiation, and the date the catalogue's shares and mandates are taken
on (that case re-routes the reference basis, ``priced`` and the basis' allocation).

Set-based: a ``Repricer`` is asked for the *pricer* of a kind of sale (recording,
territory priced in, currency, first day of its segment: ``scenarios.segments``), then
for the ``Outcome`` of one sale of that kind at a price, units sold and still
outstanding. Both are memoised, so a month of sales costs one plan per kind and one
``apply`` per distinct (plan, price, units): the caller multiplies by the count. A sale's
part is ``A(n) - A(k)`` (``n`` sold, ``k`` refunded) under the basis the scenario gives
it: what the ledger holds for a sale under its own basis
(``service.sales.pricing.basis``), so the buyer's rule reproduces the books exactly.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlmodel import Session

from service.ledger import accounts
from service.sales.pricing import basis as bases
from service.sales.pricing.compiled import CompiledPlan
from service.sales.pricing.engine.engine import TariffTerms
from service.sales.pricing.engine.quanta import from_quanta, to_quanta
from service.sales.pricing.generation import Generation, TariffFacts
from service.sales.pricing.plans import plan_for
from service.sales.pricing.price import Snapshot, load_snapshot, priced, resolve_claims
from service.scenarios.segments import Segments
from service.tariffs.service import load_fx

UNLICENSED = "unlicensed"
NO_STORE_LICENCE = "store_without_licence"


@dataclass(frozen=True, slots=True)
class Override:
    """A tariff as a negotiation proposes it, in force on every date of the scenario."""

    territory: str
    terms: TariffTerms


@dataclass(frozen=True, slots=True)
class Rules:
    """How a scenario prices: ``licences`` maps a store to its licence territory (None:
    the buyer's territory, today's rule), with tariff overrides and a catalogue date."""

    licences: dict[str, str | None] | None = None
    overrides: tuple[Override, ...] = ()
    catalogue_date: date | None = None


# (account, holder id, right type): one beneficiary's line (the store's is the caller's).
Line = tuple[str, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One sale of a kind, re-priced: each beneficiary's ``A(n) - A(k)`` in micro-units,
    their sum (what the store's leg balances) and, per suspense reason, what stays held."""

    lines: tuple[tuple[Line, int], ...]
    total: int
    held: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class _Sale:
    """What pricing reads of a sale (``price.SaleFacts``), for the territory priced in."""

    isrc: str
    territory: str
    sold_at: datetime
    unit_price: Decimal
    currency: str


# What a pricer is: a compiled plan (the buyer's catalogue) or a reference basis.
_Reference = tuple[bases.Basis, str]


class Repricer:
    """Prices the kinds of sale of one scenario from one snapshot (reads only)."""

    def __init__(
        self,
        *,
        session: Session,
        keys: Iterable[tuple[str, str, str, str]],
        rules: Rules,
        start: date,
        end: date,
    ) -> None:
        """``keys``: the sales' (store, ISRC, buyer's territory, currency)."""
        self.rules = rules
        proxies = [
            _Sale(isrc, where, _midnight(start), Decimal(0), currency)
            for store, isrc, territory, currency in keys
            if (where := self.where(store, territory)) is not None
        ]
        self.snap = _snapshot(session, proxies, rules.overrides)
        self.segments = Segments(
            session=session,
            generation=self.snap.generation,
            catalogue=rules.catalogue_date is None,
            start=start,
            end=end,
        )
        self._plans: dict[int, CompiledPlan] = {}
        self._references: dict[Hashable, _Reference] = {}
        self._outcomes: dict[tuple[Hashable, int, int, int], Outcome] = {}
        self._prices: dict[int, Decimal] = {}

    def where(self, store: str, territory: str) -> str | None:
        """The territory a sale is priced in (None: its store has no licence)."""
        if self.rules.licences is None:
            return territory
        return self.rules.licences.get(store)

    def pricer(self, isrc: str, where: str, currency: str, on: date, price: int) -> Hashable:
        """What prices a sale of ``isrc`` in ``where`` on ``on`` (None: unlicensed there).

        Compiled plans are named by their serial, never ``id()``: a plan that left the
        write path's bounded memo may be collected and its id given to another plan."""
        sale = _Sale(isrc, where, _midnight(on), self._price(price), currency)
        if self.rules.catalogue_date is None:
            # The write path's own compiled plan: what booking the sale there would book.
            plan = plan_for(sale, self.snap)
            if plan is None:
                return None
            self._plans[plan.serial] = plan
            return plan.serial
        key, basis = priced(sale, self.snap)
        if not basis:
            return None
        found = (key, self.rules.catalogue_date, where)
        if found not in self._references:
            moved = _as_of(sale, basis, self.snap, self.rules.catalogue_date)
            self._references[found] = (moved, where)
        return found

    def outcome(self, pricer: Hashable, price: int, quantity: int, outstanding: int) -> Outcome:
        """One sale priced by ``pricer`` at ``price`` micro-units, ``quantity`` units sold
        of which ``outstanding`` are not refunded (computed once per distinct input)."""
        memo_key = (pricer, price, quantity, outstanding)
        found = self._outcomes.get(memo_key)
        if found is None:
            refunded = quantity - outstanding
            if isinstance(pricer, int):
                quanta = _compiled(self._plans[pricer], self._price(price), quantity, refunded)
            else:
                basis, where = self._references[pricer]
                quanta = _reference(basis, where, quantity, refunded)
            found = self._outcomes[memo_key] = _outcome(quanta)
        return found

    def _price(self, micros: int) -> Decimal:
        found = self._prices.get(micros)
        if found is None:
            found = self._prices[micros] = from_quanta(micros)
        return found


def _outcome(quanta: dict[Line, int]) -> Outcome:
    held: dict[str, int] = {}
    for (account, _, _), amount in quanta.items():
        reason = _suspense_reason(account)
        if reason is not None:
            held[reason] = held.get(reason, 0) + amount
    return Outcome(tuple(quanta.items()), sum(quanta.values()), tuple(held.items()))


@lru_cache(maxsize=65_536)
def _suspense_reason(account: str) -> str | None:
    """The reason money on ``account`` is held, if it is a suspense account (cached: a
    month's outcomes name a few thousand accounts a million times)."""
    parsed = accounts.parse(account)
    if parsed is not None and parsed.kind is accounts.AccountKind.suspense:
        return parsed.name
    return None


def _compiled(plan: CompiledPlan, price: Decimal, sold: int, refunded: int) -> dict[Line, int]:
    """``A(n) - A(k)`` per beneficiary from a compiled plan, in micro-units."""
    quanta: dict[Line, int] = {}
    for units, sign in ((sold, 1), (refunded, -1)):
        if units == 0 and sign < 0:
            continue
        for slot, amount in plan.apply(price, units).legs:
            line = (slot.account, slot.holder_id, slot.right_type)
            quanta[line] = quanta.get(line, 0) + sign * amount
    return quanta


def _reference(basis: bases.Basis, where: str, sold: int, refunded: int) -> dict[Line, int]:
    """``A(n) - A(k)`` per beneficiary from a basis (the reference engine), in micro-units."""
    quanta: dict[Line, int] = {}
    back = bases.sale_deltas(basis, units=refunded, territory=where) if refunded else []
    for deltas, sign in ((bases.sale_deltas(basis, units=sold, territory=where), 1), (back, -1)):
        for d in deltas:
            right_type, society, holder, _, suspense = d.key
            account = accounts.beneficiary(society_code=society, holder_id=holder, reason=suspense)
            line = (account, holder, right_type)
            quanta[line] = quanta.get(line, 0) + sign * to_quanta(d.amount)
    return quanta


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _as_of(sale: _Sale, basis: bases.Basis, snap: Snapshot, on: date) -> bases.Basis:
    """The basis with each right type's shares and routes taken on ``on`` (the price,
    tariff and FX rate stay those of the sale's date)."""
    moved: bases.Basis = {}
    for right_type, right in basis.items():
        if right.pending_fx is not None:
            moved[right_type] = right
            continue
        claims, reason = resolve_claims(sale, right_type, snap, on)
        moved[right_type] = bases.RightBasis(
            right_type, right.unit_royalty, claims, reason, right.tariff_id, right.fx_rate, None
        )
    return moved


def _snapshot(session: Session, sales: Sequence[_Sale], overrides: Iterable[Override]) -> Snapshot:
    """The write path's snapshot for these sales; with overrides, a private copy whose
    tariffs they replace (the process cache that sales book from is never touched)."""
    overrides = tuple(overrides)
    if not sales:
        empty = load_fx(session=session, currencies=(), until=date.max)
        return Snapshot(Generation(token=None), empty)
    snap = load_snapshot(session=session, sales=sales)
    if not overrides:
        return snap
    shared = snap.generation
    tariffs = {territory: list(rows) for territory, rows in shared.tariffs.items()}
    for n, override in enumerate(overrides, start=1):
        right_type = override.terms.right_type
        rows = [t for t in tariffs.get(override.territory, []) if t.right_type != right_type]
        # Negative ids: never a stored tariff's, so no memo mistakes one for the other.
        rows.append(TariffFacts(-n, override.territory, date.min, None, override.terms))
        tariffs[override.territory] = rows
    private = Generation(
        token=None,
        recordings=dict(shared.recordings),
        versions=dict(shared.versions),
        mandates=dict(shared.mandates),
        tariffs=tariffs,
        ecl=dict(shared.ecl),
        ecl_loaded=True,
    )
    currencies = {s.currency for s in sales} | {
        t.currency for rows in tariffs.values() for t in rows
    }
    return Snapshot(private, load_fx(session=session, currencies=currencies, until=date.max))

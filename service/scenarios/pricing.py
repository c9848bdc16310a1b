"""Re-pricing for scenarios: the ONE place a scenario calls the royalty engine.

A scenario prices sales with exactly the engine that booked them (the write path's
snapshot and its compiled plans, ``service.sales.pricing.plans``), only with other
inputs: the territory a sale is priced in (the buyer's, or the store's licence), tariffs
overridden for a negotiation, and the date the catalogue's shares and mandates are taken
on (that case re-routes the reference basis, ``priced`` and the basis' allocation).

Set-based: the sales arrive grouped by everything that decides their money (store,
recording, territory, currency, day, unit price, units sold and still outstanding), each
group is priced once, and its amounts are those of one sale, multiplied by the group's
count by the caller. A sale's part is ``A(n) - A(k)`` (``n`` sold, ``k`` refunded) under
the basis the scenario gives it: what the ledger holds for a sale under its own basis
(``service.sales.pricing.basis``), so the buyer's rule reproduces the books exactly.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from service.catalog.service import RECORDING, WORK, AssetKey
from service.ledger import accounts
from service.sales.pricing import basis as bases
from service.sales.pricing.compiled import CompiledPlan
from service.sales.pricing.engine.engine import TariffTerms
from service.sales.pricing.engine.quanta import from_quanta
from service.sales.pricing.generation import Generation, TariffFacts
from service.sales.pricing.plans import plan_for
from service.sales.pricing.price import Snapshot, load_snapshot, priced, resolve_claims
from service.tariffs.service import fx_rate_dates, load_fx

UNLICENSED = "unlicensed"
NO_STORE_LICENCE = "store_without_licence"


@dataclass(frozen=True, slots=True)
class Group:
    """Sales that price alike: one row of the grouped query, ``sales`` of them."""

    store_code: str
    isrc: str
    territory: str  # the buyer's
    currency: str
    day: date
    unit_price: Decimal
    quantity: int
    outstanding: int  # units sold minus units refunded
    sales: int


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


# (account, holder id, right type or None for the store's side): one party's line.
Line = tuple[str, str | None, str | None]


@dataclass(eq=False, slots=True)
class Priced:
    """One sale of a group, re-priced: where it was priced, the money per line, and why
    it could not be (``reason``: unlicensed there, or the store has no licence)."""

    priced_in: str | None
    amounts: dict[Line, Decimal] = field(default_factory=dict)
    reason: str | None = None

    _held: dict[str, Decimal] | None = None

    @property
    def held(self) -> dict[str, Decimal]:
        """Per suspense reason, what one sale leaves held (computed once)."""
        if self._held is not None:
            return self._held
        found: dict[str, Decimal] = {}
        self._held = found
        for (account, _, _), amount in self.amounts.items():
            parsed = accounts.parse(account)
            if parsed is not None and parsed.kind is accounts.AccountKind.suspense:
                found[parsed.name] = found.get(parsed.name, Decimal(0)) + amount
        return found


@dataclass(frozen=True, slots=True)
class _Sale:
    """What pricing reads of a sale (``price.SaleFacts``), for the territory priced in."""

    isrc: str
    territory: str
    sold_at: datetime
    unit_price: Decimal
    currency: str


def price_groups(
    *, session: Session, groups: Sequence[Group], rules: Rules
) -> Iterator[tuple[Group, Priced]]:
    """Each group with what one of its sales comes to under ``rules`` (reads only).

    Groups whose priced inputs are equal share one ``Priced`` (the same object), so a
    caller may count sales per ``Priced`` and multiply once.
    """
    pricing = [(g, _territory(g, rules)) for g in groups]
    proxies = [_proxy(g, where) for g, where in pricing if where is not None]
    snap = _snapshot(session, proxies, rules.overrides)
    memo: dict[tuple[object, ...], Priced] = {}
    unlicensed: dict[str | None, Priced] = {}
    proxy = iter(proxies)
    for group, where in pricing:
        if where is None:
            yield group, unlicensed.setdefault(None, Priced(None, reason=NO_STORE_LICENCE))
            continue
        sale = next(proxy)
        if rules.catalogue_date is None:
            # The write path's own compiled plan: what booking the sale there would book.
            plan = plan_for(sale, snap)
            if plan is None:
                yield group, unlicensed.setdefault(where, Priced(where, reason=UNLICENSED))
                continue
            plan_key = (plan.serial, group.unit_price, group.currency)
            memo_key: tuple[object, ...] = (
                plan_key,
                where,
                group.quantity,
                group.outstanding,
                group.store_code,
            )
            found = memo.get(memo_key)
            if found is None:
                found = memo[memo_key] = Priced(where, _compiled_amounts(plan, group))
            yield group, found
            continue
        key, basis = priced(sale, snap)
        if not basis:
            yield group, unlicensed.setdefault(where, Priced(where, reason=UNLICENSED))
            continue
        basis = _as_of(sale, basis, snap, rules.catalogue_date)
        memo_key = (
            (key, rules.catalogue_date),
            where,
            group.quantity,
            group.outstanding,
            group.store_code,
        )
        found = memo.get(memo_key)
        if found is None:
            found = memo[memo_key] = Priced(where, _amounts(basis, group, where))
        yield group, found


def segments(
    *,
    session: Session,
    keys: Sequence[tuple[str, str, str, str]],
    rules: Rules,
    start: date,
    end: date,
) -> list[date]:
    """The days in ``(start, end]`` from which the price of some of these sales may change
    (a tariff, share version or mandate starting or ending, an FX rate dated): between
    two of them every day prices alike, so sales are grouped by segment, not by day.

    ``keys`` are the sales' (store, ISRC, buyer's territory, currency).
    """
    proxies = [
        _Sale(isrc, where, _midnight(start), Decimal(0), currency)
        for store, isrc, territory, currency in keys
        if (where := _territory_of(store, territory, rules)) is not None
    ]
    if not proxies:
        return []
    snap = _snapshot(session, proxies, rules.overrides)
    generation = snap.generation
    days: set[date] = set()
    tariff_currencies = set()
    for where in {p.territory for p in proxies}:
        for tariff in generation.tariffs.get(where, ()):
            days.add(tariff.valid_from)
            if tariff.valid_to is not None:
                days.add(tariff.valid_to)
            tariff_currencies.add(tariff.currency)
    if rules.catalogue_date is None:
        for asset in _assets(proxies, snap):
            for version in generation.versions.get(asset) or ():
                days.add(version.valid_from)
                for row in version.rows:
                    for mandate in generation.mandates.get(row.holder_id, ()):
                        days.add(mandate.valid_from)
                        if mandate.valid_to is not None:
                            days.add(mandate.valid_to)
    overridden = {o.terms.currency for o in rules.overrides}
    currencies = tariff_currencies | overridden | {p.currency for p in proxies}
    days |= fx_rate_dates(session=session, currencies=currencies, start=start, end=end)
    return sorted(d for d in days if start < d <= end)


def _assets(proxies: Iterable[_Sale], snap: Snapshot) -> set[AssetKey]:
    assets: set[AssetKey] = set()
    for isrc in {p.isrc for p in proxies}:
        recording = snap.recording(isrc)
        if recording is not None:
            assets.add((RECORDING, isrc))
            if recording.iswc:
                assets.add((WORK, recording.iswc))
    return assets


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _proxy(group: Group, where: str) -> _Sale:
    return _Sale(group.isrc, where, _midnight(group.day), group.unit_price, group.currency)


def _territory_of(store: str, territory: str, rules: Rules) -> str | None:
    if rules.licences is None:
        return territory
    return rules.licences.get(store)


def _territory(group: Group, rules: Rules) -> str | None:
    return _territory_of(group.store_code, group.territory, rules)


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


def _amounts(basis: bases.Basis, group: Group, where: str) -> dict[Line, Decimal]:
    """``A(n) - A(k)`` per line, plus the store's balancing side (as its legs book it)."""
    amounts: dict[Line, Decimal] = {}
    sold = bases.sale_deltas(basis, units=group.quantity, territory=where)
    refunded = group.quantity - group.outstanding
    back = bases.sale_deltas(basis, units=refunded, territory=where) if refunded else []
    for deltas, sign in ((sold, 1), (back, -1)):
        for d in deltas:
            right_type, society, holder, _, suspense = d.key
            account = accounts.beneficiary(society_code=society, holder_id=holder, reason=suspense)
            line = (account, holder, right_type)
            amounts[line] = amounts.get(line, Decimal(0)) + sign * d.amount
    total = sum(amounts.values(), Decimal(0))
    store_line = (accounts.store(group.store_code), None, None)
    amounts[store_line] = -total
    return amounts


def _compiled_amounts(plan: CompiledPlan, group: Group) -> dict[Line, Decimal]:
    """``_amounts`` from a compiled plan: ``A(n) - A(k)`` per line, in quanta."""
    quanta: dict[Line, int] = {}
    refunded = group.quantity - group.outstanding
    for units, sign in ((group.quantity, 1), (refunded, -1)):
        if units == 0 and sign < 0:
            continue
        for slot, amount in plan.apply(group.unit_price, units).legs:
            line = (slot.account, slot.holder_id, slot.right_type)
            quanta[line] = quanta.get(line, 0) + sign * amount
    amounts = {line: from_quanta(q) for line, q in quanta.items()}
    amounts[(accounts.store(group.store_code), None, None)] = from_quanta(-sum(quanta.values()))
    return amounts


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

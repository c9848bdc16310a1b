"""Re-pricing for scenarios: the ONE place a scenario calls the royalty engine.

A scenario prices sales with exactly the engine that booked them (the write path's
snapshot, ``priced`` and the basis' allocation), only with other inputs: the territory a
sale is priced in (the buyer's, or the store's licence), tariffs overridden for a
negotiation, and the date the catalogue's shares and mandates are taken on. When the
write path moves to compiled, price-independent plans, ``price_groups`` is what changes.

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

from service.ledger import accounts
from service.sales.pricing import basis as bases
from service.sales.pricing.engine.engine import TariffTerms
from service.sales.pricing.generation import Generation, TariffFacts
from service.sales.pricing.price import Snapshot, load_snapshot, priced, resolve_claims
from service.tariffs.service import load_fx

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


@dataclass(slots=True)
class Priced:
    """One sale of a group, re-priced: where it was priced, the money per line, and why
    it could not be (``reason``: unlicensed there, or the store has no licence)."""

    priced_in: str | None
    amounts: dict[Line, Decimal] = field(default_factory=dict)
    reason: str | None = None


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
    """Each group with what one of its sales comes to under ``rules`` (reads only)."""
    pricing = [(g, _territory(g, rules)) for g in groups]
    proxies = [
        _Sale(
            g.isrc,
            where,
            datetime(g.day.year, g.day.month, g.day.day, tzinfo=UTC),
            g.unit_price,
            g.currency,
        )
        for g, where in pricing
        if where is not None
    ]
    snap = _snapshot(session, proxies, rules.overrides)
    memo: dict[tuple[object, ...], dict[Line, Decimal]] = {}
    proxy = iter(proxies)
    for group, where in pricing:
        if where is None:
            yield group, Priced(None, reason=NO_STORE_LICENCE)
            continue
        sale = next(proxy)
        key, basis = priced(sale, snap)
        if not basis:
            yield group, Priced(where, reason=UNLICENSED)
            continue
        if rules.catalogue_date is not None:
            basis = _as_of(sale, basis, snap, rules.catalogue_date)
            key = (key, rules.catalogue_date)
        memo_key = (key, where, group.quantity, group.outstanding, group.store_code)
        amounts = memo.get(memo_key)
        if amounts is None:
            amounts = memo[memo_key] = _amounts(basis, group, where)
        yield group, Priced(where, amounts)


def _territory(group: Group, rules: Rules) -> str | None:
    if rules.licences is None:
        return group.territory
    return rules.licences.get(group.store_code)


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

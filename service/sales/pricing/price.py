"""Everything a batch of sales needs from other domains, and the pure step that turns one
sale plus that snapshot into its allocation basis.

The snapshot comes from a per-process cache (``service.sales.pricing.generation``) that is checked
against the database's catalog version token once per batch: a batch whose recordings,
shares, tariffs, FX rates and mandates are all cached costs one query; otherwise only the
missing ones are loaded, in a few set queries, never one per sale.

Pricing memoises per cache generation (the data it reads cannot change within one):
tariffs by (territory, date), FX rates by (pair, date), unit royalties by (tariff, price,
currency, duration, rate), routed claims by (asset, right type, territory, validity
interval) and whole bases by their parts, so a sale that repeats earlier inputs costs a
few dictionary lookups.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

from sqlmodel import Session

from service.catalog.service import RECORDING, WORK, AssetKey, VersionShares, resolve_shares
from service.rights import WORK_RIGHTS
from service.sales.pricing.basis import RIGHT_ORDER, Basis, Claim, RightBasis
from service.sales.pricing.engine.engine import (
    MISSING_FX_RATE,
    UNCLAIMED_SHARE,
    UNKNOWN_RECORDING,
    UNKNOWN_WORK,
    MissingFxRate,
    fixed_amounts,
    unit_royalty,
)
from service.sales.pricing.engine.routing import MandateTerms, route_share
from service.sales.pricing.generation import (
    Generation,
    RecordingFacts,
    TariffFacts,
    load_generation,
)
from service.tariffs.service import FxTable


class SaleFacts(Protocol):
    """What pricing reads of a sale (a validated row or a stored ``Sale``)."""

    @property
    def isrc(self) -> str: ...
    @property
    def territory(self) -> str: ...
    @property
    def sold_at(self) -> datetime: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...


def sale_date(sold_at: datetime) -> date:
    """The UTC calendar date that picks tariffs, shares, mandates and FX rates."""
    return sold_at.astimezone(UTC).date()


@dataclass(slots=True)
class Snapshot:
    """The catalog as one batch sees it (a view over one cache generation)."""

    generation: Generation
    fx: FxTable

    @property
    def recordings(self) -> dict[str, RecordingFacts | None]:
        return self.generation.recordings

    @property
    def mandates(self) -> dict[str, list[MandateTerms]]:
        return self.generation.mandates

    @property
    def ecl(self) -> dict[tuple[str, str], str]:
        return self.generation.ecl

    def iswc_of(self, isrc: str) -> str | None:
        recording = self.generation.recordings.get(isrc)
        return recording.iswc if recording else None

    def recording(self, isrc: str) -> RecordingFacts | None:
        return self.generation.recordings.get(isrc)

    def tariff_on(self, territory: str, right_type: str, on: date) -> TariffFacts | None:
        for tariff in self.generation.tariffs.get(territory, ()):
            if (
                tariff.right_type == right_type
                and tariff.valid_from <= on
                and (tariff.valid_to is None or on < tariff.valid_to)
            ):
                return tariff
        return None

    def tariffs_on(self, territory: str, on: date) -> tuple[tuple[str, TariffFacts], ...]:
        """(right type, tariff) of every right type with a tariff in force, in RIGHT_ORDER."""
        memo = self.generation.memo_tariffs
        key = (territory, on)
        found = memo.get(key)
        if found is None:
            found = memo[key] = tuple(
                (right_type, tariff)
                for right_type in RIGHT_ORDER
                if (tariff := self.tariff_on(territory, right_type, on)) is not None
            )
        return found

    def shares_of(self, asset: AssetKey) -> list[VersionShares]:
        return self.generation.versions.get(asset) or []

    def rate(self, from_currency: str, to_currency: str, on: date) -> Decimal | None:
        memo = self.generation.memo_rates
        key = (from_currency, to_currency, on)
        if key in memo:
            found: Decimal | None = memo[key]
            return found
        rate = memo[key] = self.fx.rate(from_currency, to_currency, on)
        return rate


def load_snapshot(*, session: Session, sales: Sequence[SaleFacts]) -> Snapshot:
    """The snapshot for ``sales``: from the process cache, topped up in a few set queries."""
    generation, fx = load_generation(
        session=session,
        isrcs={s.isrc for s in sales},
        territories={s.territory for s in sales},
        currencies={s.currency for s in sales},
    )
    return Snapshot(generation, fx)


# --- pricing one sale --------------------------------------------------------------------


def price(sale: SaleFacts, snap: Snapshot) -> Basis:
    """The basis of every right type with a tariff in force; empty means unlicensed."""
    return dict(priced(sale, snap)[1])


def priced(sale: SaleFacts, snap: Snapshot) -> tuple[tuple[object, ...], Basis]:
    """(a key equal for equal bases, the basis); the basis is shared: do not mutate it."""
    on = sale_date(sale.sold_at)
    parts: list[tuple[object, ...]] = []
    for right_type, tariff in snap.tariffs_on(sale.territory, on):
        unit_key, (_, _, pending) = _unit_royalty(tariff, sale, snap, on)
        claims: object = (
            MISSING_FX_RATE if pending is not None else claims_key(sale, right_type, snap, on)
        )
        parts.append((right_type, unit_key, claims))
    key = tuple(parts)
    memo = snap.generation.memo_bases
    basis = memo.get(key)
    if basis is None:
        basis = memo[key] = _basis(sale, snap, on)
    return key, basis


def _basis(sale: SaleFacts, snap: Snapshot, on: date) -> Basis:
    basis: Basis = {}
    for right_type, tariff in snap.tariffs_on(sale.territory, on):
        _, (unit, fx_rate, pending) = _unit_royalty(tariff, sale, snap, on)
        if pending is not None:
            claims: tuple[Claim, ...] = ()
            reason = MISSING_FX_RATE
        else:
            claims, reason = resolve_claims(sale, right_type, snap, on)
        basis[right_type] = RightBasis(
            right_type=right_type,
            unit_royalty=unit,
            claims=claims,
            reason=reason,
            tariff_id=tariff.id,
            fx_rate=fx_rate,
            pending_fx=pending,
        )
    return basis


def reprice(sale: SaleFacts, old: Basis, snap: Snapshot) -> Basis:
    """The basis a release moves a held sale to (right types that hold nothing stay).

    The unit royalty is fixed when the sale is recorded, except where it waited for an
    FX rate; the shares are those in force on the sale date, as the catalog now says.
    """
    on = sale_date(sale.sold_at)
    new: Basis = {}
    for right_type, right in old.items():
        if not right.holds:
            new[right_type] = right
            continue
        unit, fx_rate, pending = right.unit_royalty, right.fx_rate, right.pending_fx
        if pending is not None:
            rate = snap.rate(pending[0], pending[1], on)
            if rate is not None:
                tariff = _tariff_by_id(snap, sale.territory, right_type, right.tariff_id)
                if tariff is not None:
                    _, (unit, fx_rate, pending) = _unit_royalty(tariff, sale, snap, on)
        if pending is not None:
            new[right_type] = right
            continue
        claims, reason = resolve_claims(sale, right_type, snap, on)
        new[right_type] = RightBasis(
            right_type, unit, claims, reason, right.tariff_id, fx_rate, None
        )
    return new


def _tariff_by_id(
    snap: Snapshot, territory: str, right_type: str, tariff_id: int
) -> TariffFacts | None:
    return next(
        (
            t
            for t in snap.generation.tariffs.get(territory, ())
            if t.right_type == right_type and t.id == tariff_id
        ),
        None,
    )


UnitRoyalty = tuple[Decimal, Decimal | None, tuple[str, str] | None]


def _unit_royalty(
    tariff: TariffFacts, sale: SaleFacts, snap: Snapshot, on: date
) -> tuple[tuple[object, ...], UnitRoyalty]:
    """(memo key, (unit royalty in the sale currency, FX rate used, pair missing a rate)).

    Decimals enter the key with their exponent: equal values written differently (0.99
    and 0.990) give unit royalties written differently, and the basis stores the text.
    """
    recording = snap.recording(sale.isrc)
    duration = recording.duration_s if recording else None
    rate = None
    if tariff.currency != sale.currency:
        rate = snap.rate(tariff.currency, sale.currency, on)
    price = sale.unit_price
    key = (
        tariff.id,
        price,
        price.as_tuple().exponent,
        sale.currency,
        duration,
        rate,
        None if rate is None else rate.as_tuple().exponent,
    )
    memo = snap.generation.memo_units
    found = memo.get(key)
    if found is None:
        found = memo[key] = _compute_unit_royalty(tariff, price, sale.currency, duration, rate)
    return key, found


def _compute_unit_royalty(
    tariff: TariffFacts,
    unit_price: Decimal,
    currency: str,
    duration: int | None,
    rate: Decimal | None,
) -> UnitRoyalty:
    terms = tariff.terms
    try:
        unit = unit_royalty(
            terms,
            unit_price=unit_price,
            duration_s=duration,
            fx_rate=rate,
            sale_currency=currency,
        )
        return unit, rate, None
    except MissingFxRate:
        # Hold what can be priced without the rate (the percentage of the price); the
        # rest is booked when the rate arrives (a release debits the store for it).
        partial = Decimal(0)
        if terms.percent_of_gross is not None:
            percent_only = replace(terms, currency=currency, per_unit=None, per_minute_rate=None)
            partial = unit_royalty(
                percent_only, unit_price=unit_price, duration_s=None, fx_rate=None
            )
        return partial, None, (tariff.currency, currency)


def _asset_of(
    recording: RecordingFacts | None, right_type: str
) -> tuple[AssetKey | None, str | None]:
    """(the asset whose shares apply, or None and the reason there is none)."""
    if recording is None:
        return None, UNKNOWN_RECORDING
    if right_type in WORK_RIGHTS:
        if recording.iswc is None:
            return None, UNKNOWN_WORK
        return (WORK, recording.iswc), None
    return (RECORDING, recording.isrc), None


def fixed_terms(
    tariff: TariffFacts, sale: SaleFacts, snap: Snapshot, on: date, duration: int | None
) -> tuple[Decimal | None, tuple[str, str] | None]:
    """(the FX rate from the tariff's currency into the sale's, when they differ; the pair
    whose rate is missing, when a fixed component needs it): as ``_unit_royalty`` decides
    them, without the price."""
    if tariff.currency == sale.currency:
        return None, None
    rate = snap.rate(tariff.currency, sale.currency, on)
    if rate is None and fixed_amounts(tariff.terms, duration):
        return None, (tariff.currency, sale.currency)
    return rate, None


def claims_key(sale: SaleFacts, right_type: str, snap: Snapshot, on: date) -> object:
    asset, reason = _asset_of(snap.recording(sale.isrc), right_type)
    if asset is None:
        return reason
    return (asset, right_type, sale.territory, snap.generation.interval(asset, on))


def resolve_claims(
    sale: SaleFacts, right_type: str, snap: Snapshot, on: date
) -> tuple[tuple[Claim, ...], str]:
    """The routed shares of one right type on the sale date, or why there are none.

    Memoised by validity interval: between two consecutive dates on which a version of
    the asset starts or a mandate of one of its holders starts or ends, the answer for an
    (asset, right type, territory) cannot change.
    """
    asset, reason = _asset_of(snap.recording(sale.isrc), right_type)
    if asset is None:
        assert reason is not None
        return (), reason
    key = (asset, right_type, sale.territory, snap.generation.interval(asset, on))
    memo = snap.generation.memo_claims
    found = memo.get(key)
    if found is None:
        found = memo[key] = (_route(asset, right_type, sale.territory, snap, on), UNCLAIMED_SHARE)
    return found


def _route(
    asset: AssetKey, right_type: str, territory: str, snap: Snapshot, on: date
) -> tuple[Claim, ...]:
    shares = resolve_shares(
        snap.shares_of(asset), right_type=right_type, territory=territory, on=on
    )
    claims = []
    for share in sorted(shares or (), key=lambda s: s.holder_id):
        route = route_share(
            holder_id=share.holder_id,
            right_type=right_type,
            territory=territory,
            on=on,
            mandates=snap.mandates.get(share.holder_id, ()),
            ecl_society=snap.ecl.get((territory, right_type)),
        )
        claims.append(Claim(share.holder_id, share.share, route.society_code, route.non_member))
    return tuple(claims)

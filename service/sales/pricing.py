"""Everything a batch of sales needs from other domains, loaded in a few set queries,
and the pure step that turns one sale plus that snapshot into its allocation basis.

Queries per batch: recordings, share versions (two), tariffs, FX rates, mandates, ECL
societies; never one per sale.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

from sqlmodel import Session, col, select

from service.catalog.models import Recording
from service.catalog.service import (
    RECORDING,
    WORK,
    AssetKey,
    VersionShares,
    load_share_versions,
    resolve_shares,
)
from service.parties.models import Mandate
from service.parties.service import ecl_societies
from service.rights import WORK_RIGHTS
from service.royalties.engine import (
    MISSING_FX_RATE,
    UNCLAIMED_SHARE,
    UNKNOWN_RECORDING,
    UNKNOWN_WORK,
    MandateTerms,
    MissingFxRate,
    TariffTerms,
    route_share,
    unit_royalty,
)
from service.sales.basis import RIGHT_ORDER, Basis, Claim, RightBasis
from service.tariffs.models import Tariff
from service.tariffs.service import FxTable, load_fx, load_tariffs


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
    recordings: dict[str, Recording]
    versions: dict[AssetKey, list[VersionShares]]
    tariffs: dict[tuple[str, str], list[Tariff]]
    fx: FxTable
    mandates: dict[str, list[MandateTerms]]
    ecl: dict[tuple[str, str], str]
    _empty: list[VersionShares] = field(default_factory=list)

    def iswc_of(self, isrc: str) -> str | None:
        recording = self.recordings.get(isrc)
        return recording.iswc if recording else None

    def tariff_on(self, territory: str, right_type: str, on: date) -> Tariff | None:
        for tariff in self.tariffs.get((territory, right_type), ()):
            if tariff.valid_from <= on and (tariff.valid_to is None or on < tariff.valid_to):
                return tariff
        return None

    def shares_of(self, asset: AssetKey) -> list[VersionShares]:
        return self.versions.get(asset, self._empty)


def load_snapshot(*, session: Session, sales: Sequence[SaleFacts]) -> Snapshot:
    isrcs = {s.isrc for s in sales}
    recordings = (
        {r.isrc: r for r in session.exec(select(Recording).where(col(Recording.isrc).in_(isrcs)))}
        if isrcs
        else {}
    )
    assets: set[AssetKey] = {(RECORDING, isrc) for isrc in recordings}
    assets |= {(WORK, r.iswc) for r in recordings.values() if r.iswc}
    versions = load_share_versions(session=session, assets=assets)

    tariffs: dict[tuple[str, str], list[Tariff]] = defaultdict(list)
    for tariff in load_tariffs(session=session, territories={s.territory for s in sales}):
        tariffs[(tariff.territory, tariff.right_type)].append(tariff)

    currencies = {s.currency for s in sales} | {t.currency for ts in tariffs.values() for t in ts}
    until = max((sale_date(s.sold_at) for s in sales), default=date.min)
    fx = load_fx(session=session, currencies=currencies, until=until)

    holders = {row.holder_id for vs in versions.values() for v in vs for row in v.rows}
    return Snapshot(
        recordings=recordings,
        versions=versions,
        tariffs=dict(tariffs),
        fx=fx,
        mandates=_mandates(session, holders),
        ecl=ecl_societies(session=session),
    )


def _mandates(session: Session, holders: Iterable[str]) -> dict[str, list[MandateTerms]]:
    wanted = set(holders)
    result: dict[str, list[MandateTerms]] = defaultdict(list)
    if not wanted:
        return result
    for m in session.exec(select(Mandate).where(col(Mandate.holder_id).in_(wanted))):
        result[m.holder_id].append(
            MandateTerms(
                holder_id=m.holder_id,
                society_code=m.society_code,
                right_type=m.right_type,
                territories=frozenset(m.territories),
                valid_from=m.valid_from,
                valid_to=m.valid_to,
            )
        )
    return result


# --- pricing one sale --------------------------------------------------------------------


def price(sale: SaleFacts, snap: Snapshot) -> Basis:
    """The basis of every right type with a tariff in force; empty means unlicensed."""
    on = sale_date(sale.sold_at)
    basis: Basis = {}
    for right_type in RIGHT_ORDER:
        tariff = snap.tariff_on(sale.territory, right_type, on)
        if tariff is None:
            continue
        unit, fx_rate, pending = _unit_royalty(tariff, sale, snap, on)
        if pending is not None:
            claims: tuple[Claim, ...] = ()
            reason = MISSING_FX_RATE
        else:
            claims, reason = resolve_claims(sale, right_type, snap, on)
        assert tariff.id is not None
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
            rate = snap.fx.rate(pending[0], pending[1], on)
            if rate is not None:
                tariff = _tariff_by_id(snap, sale.territory, right_type, right.tariff_id)
                if tariff is not None:
                    unit, fx_rate, pending = _unit_royalty(tariff, sale, snap, on)
        if pending is not None:
            new[right_type] = right
            continue
        claims, reason = resolve_claims(sale, right_type, snap, on)
        new[right_type] = RightBasis(
            right_type, unit, claims, reason, right.tariff_id, fx_rate, None
        )
    return new


def _tariff_by_id(snap: Snapshot, territory: str, right_type: str, tariff_id: int) -> Tariff | None:
    return next(
        (t for t in snap.tariffs.get((territory, right_type), ()) if t.id == tariff_id), None
    )


def _unit_royalty(
    tariff: Tariff, sale: SaleFacts, snap: Snapshot, on: date
) -> tuple[Decimal, Decimal | None, tuple[str, str] | None]:
    """(unit royalty in the sale currency, FX rate used, pair still missing a rate)."""
    terms = TariffTerms(
        right_type=tariff.right_type,
        currency=tariff.currency,
        percent_of_gross=tariff.percent_of_gross,
        per_unit=tariff.per_unit,
        per_minute_rate=tariff.per_minute_rate,
        per_minute_over_seconds=tariff.per_minute_over_seconds,
    )
    recording = snap.recordings.get(sale.isrc)
    duration = recording.duration_s if recording else None
    rate = None
    if tariff.currency != sale.currency:
        rate = snap.fx.rate(tariff.currency, sale.currency, on)
    try:
        unit = unit_royalty(
            terms,
            unit_price=sale.unit_price,
            duration_s=duration,
            fx_rate=rate,
            sale_currency=sale.currency,
        )
        return unit, rate, None
    except MissingFxRate:
        # Hold what can be priced without the rate (the percentage of the price); the
        # rest is booked when the rate arrives (a release debits the store for it).
        partial = Decimal(0)
        if terms.percent_of_gross is not None:
            percent_only = TariffTerms(
                terms.right_type, sale.currency, terms.percent_of_gross, None, None
            )
            partial = unit_royalty(
                percent_only, unit_price=sale.unit_price, duration_s=None, fx_rate=None
            )
        return partial, None, (tariff.currency, sale.currency)


def resolve_claims(
    sale: SaleFacts, right_type: str, snap: Snapshot, on: date
) -> tuple[tuple[Claim, ...], str]:
    """The routed shares of one right type on the sale date, or why there are none."""
    recording = snap.recordings.get(sale.isrc)
    if recording is None:
        return (), UNKNOWN_RECORDING
    if right_type in WORK_RIGHTS:
        if recording.iswc is None:
            return (), UNKNOWN_WORK
        asset: AssetKey = (WORK, recording.iswc)
    else:
        asset = (RECORDING, recording.isrc)
    shares = resolve_shares(
        snap.shares_of(asset), right_type=right_type, territory=sale.territory, on=on
    )
    claims = []
    for share in sorted(shares or (), key=lambda s: s.holder_id):
        route = route_share(
            holder_id=share.holder_id,
            right_type=right_type,
            territory=sale.territory,
            on=on,
            mandates=snap.mandates.get(share.holder_id, ()),
            ecl_society=snap.ecl.get((sale.territory, right_type)),
        )
        claims.append(Claim(share.holder_id, share.share, route.society_code, route.non_member))
    return tuple(claims), UNCLAIMED_SHARE

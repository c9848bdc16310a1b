"""Rules of tariffs and exchange rates: validity ranges, lookups by date."""

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from service.pagination import PageParams, paginate
from service.rights import RightType
from service.sql import table_of
from service.tariffs.exceptions import FxRateExists, TariffNotFound, TariffOverlap
from service.tariffs.models import FxRate, Tariff
from service.tariffs.schemas import FxRateCreate, TariffCreate
from service.timeutil import ranges_overlap

# An inverse rate is a division; twelve places keeps conversions exact at the ledger's
# six-place quantum for any realistic amount.
INVERSE_QUANTUM = Decimal("0.000000000001")


# --- tariffs ---------------------------------------------------------------------------


def create_tariff(*, session: Session, data: TariffCreate) -> Tariff:
    same_slot = session.exec(
        select(Tariff).where(
            Tariff.territory == data.territory, Tariff.right_type == data.right_type
        )
    )
    for other in same_slot:
        if ranges_overlap(other.valid_from, other.valid_to, data.valid_from, data.valid_to):
            raise TariffOverlap(
                f"Tariff {other.id} already covers {data.right_type} in {data.territory} "
                f"from {other.valid_from} to {other.valid_to or 'open end'}.",
                tariff_id=other.id,
            )
    tariff = Tariff(
        territory=data.territory,
        right_type=data.right_type.value,
        currency=data.currency,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        percent_of_gross=data.percent_of_gross,
        per_unit=data.per_unit,
        per_minute_rate=data.per_minute.rate if data.per_minute else None,
        per_minute_over_seconds=data.per_minute.over_seconds if data.per_minute else 0,
    )
    session.add(tariff)
    session.flush()
    return tariff


def get_tariff(*, session: Session, tariff_id: int) -> Tariff:
    tariff = session.get(Tariff, tariff_id)
    if tariff is None:
        raise TariffNotFound(f"No tariff {tariff_id}.")
    return tariff


def list_tariffs(
    *,
    session: Session,
    page: PageParams,
    territory: str | None = None,
    right_type: RightType | None = None,
    currency: str | None = None,
    on: date | None = None,
) -> tuple[Sequence[Tariff], str | None]:
    query = select(Tariff)
    if territory:
        query = query.where(Tariff.territory == territory.upper())
    if right_type:
        query = query.where(Tariff.right_type == right_type)
    if currency:
        query = query.where(Tariff.currency == currency.upper())
    if on:
        query = query.where(
            Tariff.valid_from <= on, or_(col(Tariff.valid_to).is_(None), col(Tariff.valid_to) > on)
        )
    return paginate(session, query, key=Tariff.id, params=page, convert=int)


_TARIFFS = table_of(Tariff)
_FX_RATES = table_of(FxRate)


def load_tariff_rows(*, session: Session, territories: Iterable[str]) -> list[sa.Row[Any]]:
    """All tariffs of some territories as plain rows (the sales batch path: no ORM objects)."""
    wanted = sorted(set(territories))
    if not wanted:
        return []
    columns = [c for c in _TARIFFS.columns if c.key != "created_at"]
    return list(session.execute(sa.select(*columns).where(_TARIFFS.c.territory.in_(wanted))))


# --- exchange rates --------------------------------------------------------------------


def create_fx_rate(*, session: Session, data: FxRateCreate) -> FxRate:
    clash = session.exec(
        select(FxRate).where(
            FxRate.from_currency == data.from_currency,
            FxRate.to_currency == data.to_currency,
            FxRate.date == data.date,
        )
    ).first()
    if clash is not None:
        raise FxRateExists(
            f"{data.from_currency}/{data.to_currency} already has a rate on {data.date}.",
            fx_rate_id=clash.id,
        )
    rate = FxRate(
        date=data.date,
        from_currency=data.from_currency,
        to_currency=data.to_currency,
        rate=data.rate,
    )
    session.add(rate)
    session.flush()
    return rate


def list_fx_rates(
    *,
    session: Session,
    page: PageParams,
    from_currency: str | None = None,
    to_currency: str | None = None,
    on: date | None = None,
) -> tuple[Sequence[FxRate], str | None]:
    query = select(FxRate)
    if from_currency:
        query = query.where(FxRate.from_currency == from_currency.upper())
    if to_currency:
        query = query.where(FxRate.to_currency == to_currency.upper())
    if on:
        query = query.where(FxRate.date == on)
    return paginate(session, query, key=FxRate.id, params=page, convert=int)


def inverse(rate: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(1) / rate).quantize(INVERSE_QUANTUM, rounding=ROUND_HALF_EVEN)


class FxRateFacts(Protocol):
    """What an FX table reads of a rate (an ``FxRate`` or a plain row)."""

    @property
    def date(self) -> date: ...
    @property
    def from_currency(self) -> str: ...
    @property
    def to_currency(self) -> str: ...
    @property
    def rate(self) -> Decimal: ...


class FxTable:
    """Rates of some currency pairs, answering "latest on or before a date" in memory."""

    def __init__(self, rates: Iterable[FxRateFacts]) -> None:
        self._dates: dict[tuple[str, str], list[date]] = defaultdict(list)
        self._rates: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        for r in sorted(rates, key=lambda r: r.date):
            self._dates[(r.from_currency, r.to_currency)].append(r.date)
            self._rates[(r.from_currency, r.to_currency)].append(r.rate)

    def _latest(self, pair: tuple[str, str], on: date) -> tuple[date, Decimal] | None:
        dates = self._dates.get(pair)
        if not dates:
            return None
        i = bisect.bisect_right(dates, on)
        return (dates[i - 1], self._rates[pair][i - 1]) if i else None

    def rate(self, from_currency: str, to_currency: str, on: date) -> Decimal | None:
        """Units of ``to_currency`` per unit of ``from_currency``; a direct rate beats an
        inverse one of the same date, and the later date wins otherwise."""
        if from_currency == to_currency:
            return Decimal(1)
        direct = self._latest((from_currency, to_currency), on)
        reverse = self._latest((to_currency, from_currency), on)
        if direct and (reverse is None or direct[0] >= reverse[0]):
            return direct[1]
        if reverse:
            return inverse(reverse[1])
        return None


def load_fx(
    *,
    session: Session,
    currencies: Iterable[str],
    until: date,
    known_at: datetime | None = None,
) -> FxTable:
    """Every rate among ``currencies`` dated on or before ``until``, in one query; with
    ``known_at``, only the rates recorded by then (what a close at that instant used)."""
    wanted = sorted(set(currencies))
    if len(wanted) < 2:
        return FxTable([])
    columns = (
        _FX_RATES.c.date,
        _FX_RATES.c.from_currency,
        _FX_RATES.c.to_currency,
        _FX_RATES.c.rate,
    )
    query = sa.select(*columns).where(
        _FX_RATES.c.from_currency.in_(wanted),
        _FX_RATES.c.to_currency.in_(wanted),
        _FX_RATES.c.date <= until,
    )
    if known_at is not None:
        query = query.where(_FX_RATES.c.created_at <= known_at)
    return FxTable(session.execute(query))


def fx_rate(*, session: Session, from_currency: str, to_currency: str, on: date) -> Decimal | None:
    """The latest rate on or before ``on`` (inverse rates usable); None when unknown."""
    table = load_fx(session=session, currencies={from_currency, to_currency}, until=on)
    return table.rate(from_currency, to_currency, on)


def fx_rate_dates(
    *, session: Session, currencies: Iterable[str], start: date, end: date
) -> set[date]:
    """The dates in ``[start, end]`` on which a rate between two of ``currencies`` is
    dated: between two of them, every "latest rate on or before" answer is the same."""
    wanted = sorted(set(currencies))
    if len(wanted) < 2:
        return set()
    query = select(col(FxRate.date)).where(
        col(FxRate.from_currency).in_(wanted),
        col(FxRate.to_currency).in_(wanted),
        col(FxRate.date).between(start, end),
    )
    return set(session.exec(query))

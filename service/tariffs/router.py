"""HTTP endpoints of tariffs and exchange rates."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from service.auth.dependencies import (
    AdminCaller,
    AnyCaller,
    CurrencyFilter,
    PageDep,
    TerritoryFilter,
)
from service.db import SessionDep
from service.pagination import Page
from service.rights import RightType
from service.tariffs import service
from service.tariffs.models import FxRate, Tariff
from service.tariffs.schemas import (
    FxRateCreate,
    FxRatePublic,
    PerMinute,
    TariffCreate,
    TariffPublic,
)

router = APIRouter(prefix="/v1", tags=["tariffs"])


def _tariff_public(t: Tariff) -> TariffPublic:
    assert t.id is not None
    per_minute = (
        PerMinute(rate=t.per_minute_rate, over_seconds=t.per_minute_over_seconds)
        if t.per_minute_rate is not None
        else None
    )
    return TariffPublic(
        id=t.id,
        territory=t.territory,
        right_type=RightType(t.right_type),
        currency=t.currency,
        valid_from=t.valid_from,
        valid_to=t.valid_to,
        percent_of_gross=t.percent_of_gross,
        per_unit=t.per_unit,
        per_minute=per_minute,
    )


def _fx_public(r: FxRate) -> FxRatePublic:
    assert r.id is not None
    return FxRatePublic(
        id=r.id,
        date=r.date,
        from_currency=r.from_currency,
        to_currency=r.to_currency,
        rate=r.rate,
        inverse=service.inverse(r.rate),
    )


@router.post("/tariffs", status_code=201)
def create_tariff(data: TariffCreate, session: SessionDep, _: AdminCaller) -> TariffPublic:
    """Add a tariff; an overlapping range for the same territory and right type is a 409."""
    return _tariff_public(service.create_tariff(session=session, data=data))


@router.get("/tariffs")
def list_tariffs(
    session: SessionDep,
    _: AnyCaller,
    page: PageDep,
    territory: TerritoryFilter = None,
    right_type: RightType | None = None,
    currency: CurrencyFilter = None,
    on: date | None = None,
) -> Page[TariffPublic]:
    """Filter with `on=YYYY-MM-DD` for the tariffs in force on a date."""
    rows, cursor = service.list_tariffs(
        session=session,
        page=page,
        territory=territory,
        right_type=right_type,
        currency=currency,
        on=on,
    )
    return Page(data=[_tariff_public(t) for t in rows], next_cursor=cursor)


# Ids are 32-bit serials; a larger number is refused as invalid, never sent to the database.
TariffId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/tariffs/{tariff_id}")
def get_tariff(tariff_id: TariffId, session: SessionDep, _: AnyCaller) -> TariffPublic:
    return _tariff_public(service.get_tariff(session=session, tariff_id=tariff_id))


@router.post("/fx-rates", status_code=201)
def create_fx_rate(data: FxRateCreate, session: SessionDep, _: AdminCaller) -> FxRatePublic:
    """Record a rate; the inverse pair is derived (shown as `inverse`)."""
    return _fx_public(service.create_fx_rate(session=session, data=data))


@router.get("/fx-rates")
def list_fx_rates(
    session: SessionDep,
    _: AnyCaller,
    page: PageDep,
    from_currency: Annotated[CurrencyFilter, Query(alias="from")] = None,
    to_currency: Annotated[CurrencyFilter, Query(alias="to")] = None,
    on: Annotated[date | None, Query(alias="date")] = None,
) -> Page[FxRatePublic]:
    rows, cursor = service.list_fx_rates(
        session=session, page=page, from_currency=from_currency, to_currency=to_currency, on=on
    )
    return Page(data=[_fx_public(r) for r in rows], next_cursor=cursor)

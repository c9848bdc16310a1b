"""Shared figures of the royalty engine's worked examples (public rates, see docs/DOMAIN.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from service.sales.pricing.engine.allocation import largest_remainder
from service.sales.pricing.engine.engine import TariffTerms, unit_royalty
from service.sales.pricing.engine.quanta import from_quanta, to_quanta
from service.sales.pricing.engine.routing import MandateTerms

D = Decimal


def split_exact(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """A money total split as the allocation functions do: in integer quanta."""
    return [from_quanta(q) for q in largest_remainder(to_quanta(total), weights)]


SALE_DAY = date(2006, 11, 3)

# US statutory mechanical, 2006-2022: "9.1 cents or 1.75 cents per minute of playing time
# or fraction thereof, whichever amount is larger"; per minute only above 5 minutes.
US_MECHANICAL_2006 = TariffTerms(
    right_type="mechanical",
    currency="USD",
    percent_of_gross=None,
    per_unit=D("0.091"),
    per_minute_rate=D("0.0175"),
    per_minute_over_seconds=300,
)
# 2024: 12.40 cents or 2.39 cents per minute, same 5-minute threshold.
US_MECHANICAL_2024 = TariffTerms(
    right_type="mechanical",
    currency="USD",
    percent_of_gross=None,
    per_unit=D("0.124"),
    per_minute_rate=D("0.0239"),
    per_minute_over_seconds=300,
)


def us_2006(duration_s: int | None) -> Decimal:
    return unit_royalty(
        US_MECHANICAL_2006, unit_price=D("0.99"), duration_s=duration_s, fx_rate=None
    )


def mandate(holder: str, society: str, right_type: str, *territories: str) -> MandateTerms:
    return MandateTerms(
        holder_id=holder,
        society_code=society,
        right_type=right_type,
        territories=frozenset(territories),
        valid_from=date(2006, 1, 1),
        valid_to=None,
    )


def percent_tariff(right_type: str, percent: str, currency: str = "RUB") -> TariffTerms:
    return TariffTerms(
        right_type=right_type,
        currency=currency,
        percent_of_gross=D(percent),
        per_unit=None,
        per_minute_rate=None,
    )

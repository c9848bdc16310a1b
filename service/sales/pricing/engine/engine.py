"""The pure royalty engine's tariff arithmetic and vocabulary.

What one unit sold owes (``unit_royalty``) and the royalty of a sale row, rounded once
half-even (``royalty_for_units``). Who collects a share is decided in ``routing``; how a
royalty is split exactly among beneficiaries in ``allocation``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from service.sales.pricing.engine.quanta import (
    EXACT,
    ONE,
    ZERO,
    quantize,
    require_count,
    require_finite,
)

RIGHT_TYPES = frozenset({"mechanical", "performance", "neighbouring"})
WORLD = "WORLD"

UNCLAIMED_SHARE = "unclaimed_share"
UNKNOWN_RECORDING = "unknown_recording"
UNKNOWN_WORK = "unknown_work"
MISSING_FX_RATE = "missing_fx_rate"
SUSPENSE_REASONS = frozenset({UNCLAIMED_SHARE, UNKNOWN_RECORDING, UNKNOWN_WORK, MISSING_FX_RATE})


# --- tariffs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TariffTerms:
    """What one unit sold owes for one right type: the greatest of the present components."""

    right_type: str
    currency: str
    percent_of_gross: Decimal | None
    per_unit: Decimal | None
    per_minute_rate: Decimal | None
    per_minute_over_seconds: int = 0

    def __post_init__(self) -> None:
        if self.right_type not in RIGHT_TYPES:
            raise ValueError(f"unknown right type {self.right_type!r}")
        components = (self.percent_of_gross, self.per_unit, self.per_minute_rate)
        if all(component is None for component in components):
            raise ValueError("a tariff needs at least one component")
        for component in components:
            if component is not None:
                require_finite(component, "tariff component")
                if component < 0:
                    raise ValueError(f"tariff components must not be negative: {component}")
        require_count(self.per_minute_over_seconds, "per_minute_over_seconds")

    @classmethod
    def of(cls, row: Any) -> TariffTerms:
        """The terms of a stored tariff (any object with the same attribute names: the
        ``tariff`` row), so a new component is added here, in the table and in the API's
        schemas, and nowhere else."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


class MissingFxRate(Exception):
    """A fixed tariff amount must be converted but no rate was supplied."""

    def __init__(self, from_currency: str, to_currency: str) -> None:
        # Both currencies are the exception's args, so it pickles and compares cleanly.
        super().__init__(from_currency, to_currency)
        self.from_currency = from_currency
        self.to_currency = to_currency

    def __str__(self) -> str:
        return f"no FX rate from {self.from_currency} to {self.to_currency}"


def started_minutes(duration_s: int) -> int:
    """Playing time in minutes, any started minute counting as a whole one (301 s -> 6)."""
    require_count(duration_s, "duration_s")
    return -(-duration_s // 60)


def unit_royalty(
    tariff: TariffTerms,
    *,
    unit_price: Decimal,
    duration_s: int | None,
    fx_rate: Decimal | None,
    sale_currency: str | None = None,
) -> Decimal:
    """Exact (unrounded) royalty owed per unit, in the sale's currency.

    ``fx_rate`` converts the tariff currency into the sale currency (1 tariff unit =
    ``fx_rate`` sale units); ``None`` means both are the same currency. Pass
    ``sale_currency`` so the engine can tell when a conversion is needed: if a fixed
    component applies, the currencies differ and ``fx_rate`` is None, MissingFxRate is
    raised. A percentage of gross never needs a rate, since it is taken from the price.
    Returns 0 when no component applies (e.g. per-minute only, duration unknown).
    """
    require_finite(unit_price, "unit_price")
    if unit_price < 0:
        raise ValueError(f"unit_price must not be negative: {unit_price}")

    candidates: list[Decimal] = []
    if tariff.percent_of_gross is not None:
        candidates.append(EXACT.multiply(tariff.percent_of_gross, unit_price))

    fixed = fixed_amounts(tariff, duration_s)
    if fixed:
        rate = _conversion_rate(tariff.currency, sale_currency, fx_rate)
        candidates.extend(EXACT.multiply(amount, rate) for amount in fixed)

    return max(candidates, default=ZERO)


def fixed_amounts(tariff: TariffTerms, duration_s: int | None) -> list[Decimal]:
    """Per-unit amounts in the tariff's currency, for the components that apply."""
    amounts: list[Decimal] = []
    if tariff.per_unit is not None:
        amounts.append(tariff.per_unit)
    if (
        tariff.per_minute_rate is not None
        and duration_s is not None  # unknown playing time: the per-minute rate cannot apply
        and duration_s > tariff.per_minute_over_seconds
    ):
        minutes = Decimal(started_minutes(duration_s))
        amounts.append(EXACT.multiply(minutes, tariff.per_minute_rate))
    return amounts


def _conversion_rate(
    tariff_currency: str, sale_currency: str | None, fx_rate: Decimal | None
) -> Decimal:
    if fx_rate is None:
        if sale_currency is not None and sale_currency != tariff_currency:
            raise MissingFxRate(tariff_currency, sale_currency)
        return ONE
    require_finite(fx_rate, "fx_rate")
    if fx_rate <= 0:
        raise ValueError(f"fx_rate must be positive: {fx_rate}")
    if sale_currency == tariff_currency and fx_rate != 1:
        raise ValueError(f"fx_rate {fx_rate} given for a same-currency sale ({sale_currency})")
    return fx_rate


def royalty_for_units(unit_royalty: Decimal, units: int) -> Decimal:
    """Royalty of ``units`` units, rounded once (half-even) to QUANTUM."""
    require_finite(unit_royalty, "unit_royalty")
    require_count(units, "units")
    return quantize(EXACT.multiply(unit_royalty, Decimal(units)))

"""Worked examples of the tariff arithmetic, each checked against arithmetic done by hand.

Rates are public figures (see docs/DOMAIN.md): the US statutory mechanical rate for
permanent downloads, the UK Joint Online Licence, and the percentages AllofMP3 said it
paid to ROMS and FAIR in Russia.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.sales.pricing.engine.engine import (
    MissingFxRate,
    TariffTerms,
    royalty_for_units,
    unit_royalty,
)
from tests.sales.engine.worked import (
    US_MECHANICAL_2006,
    US_MECHANICAL_2024,
    D,
    percent_tariff,
    us_2006,
)

# --- US statutory mechanical ---------------------------------------------------------


def test_us_2006_short_track_pays_the_per_song_rate() -> None:
    # 245 s = 4:05 is not over 300 s, so only the 9.1 cent per-song rate applies.
    # (Even counted, 5 started minutes * 0.0175 = 0.0875 < 0.091.)
    assert us_2006(245) == D("0.091")


def test_us_2006_exactly_five_minutes_is_not_over_the_threshold() -> None:
    # 300 s is not "> 300 s": per-minute is not applied; 5 * 0.0175 = 0.0875 anyway.
    assert us_2006(300) == D("0.091")


def test_us_2006_one_second_over_five_minutes_counts_six_minutes() -> None:
    # 301 s = 5:01 -> ceil(301 / 60) = 6 started minutes; 6 * 0.0175 = 0.105 > 0.091.
    assert us_2006(301) == D("0.105")


def test_us_2006_ten_minute_track() -> None:
    # 600 s = 10:00 -> exactly 10 minutes (no partial minute); 10 * 0.0175 = 0.175.
    assert us_2006(600) == D("0.175")
    # 601 s -> 11 started minutes; 11 * 0.0175 = 0.1925.
    assert us_2006(601) == D("0.1925")


def test_us_2024_rate() -> None:
    def royalty(duration_s: int) -> Decimal:
        return unit_royalty(
            US_MECHANICAL_2024, unit_price=D("1.29"), duration_s=duration_s, fx_rate=None
        )

    # 245 s: per-song only -> 0.124.
    assert royalty(245) == D("0.124")
    # 330 s = 5:30 -> 6 started minutes; 6 * 0.0239 = 0.1434 > 0.124.
    assert royalty(330) == D("0.1434")
    # 600 s -> 10 * 0.0239 = 0.239.
    assert royalty(600) == D("0.239")


def test_unknown_duration_does_not_apply_the_per_minute_rate() -> None:
    # No playing time -> no per-minute component; the 9.1 cent per-song rate remains.
    assert us_2006(None) == D("0.091")
    per_minute_only = TariffTerms(
        right_type="mechanical",
        currency="USD",
        percent_of_gross=None,
        per_unit=None,
        per_minute_rate=D("0.0175"),
    )
    # Nothing applies at all -> 0 owed per unit.
    assert unit_royalty(per_minute_only, unit_price=D("0.99"), duration_s=None, fx_rate=None) == 0
    # With over_seconds = 0 (default) any known duration counts: 245 s -> 5 * 0.0175.
    assert unit_royalty(per_minute_only, unit_price=D("0.99"), duration_s=245, fx_rate=None) == D(
        "0.0875"
    )


def test_royalty_for_units_multiplies_then_rounds_once() -> None:
    # 3 units of a 5:01 track: 3 * 0.105 = 0.315, held as 0.315000.
    assert royalty_for_units(us_2006(301), 3) == D("0.315")
    assert str(royalty_for_units(us_2006(301), 3)) == "0.315000"


# --- percent of gross ----------------------------------------------------------------


def test_allofmp3_roms_and_fair_percent_of_gross() -> None:
    # AllofMP3 said it paid 15% of gross to ROMS and 25% to FAIR; a track cost 0.10 USD.
    roms = percent_tariff("mechanical", "0.15")
    fair = percent_tariff("neighbouring", "0.25")
    # 0.10 * 0.15 = 0.015 and 0.10 * 0.25 = 0.025 (USD: a percentage is taken from the
    # sale price, so the RUB tariff currency needs no FX rate).
    assert unit_royalty(
        roms, unit_price=D("0.10"), duration_s=245, fx_rate=None, sale_currency="USD"
    ) == D("0.015")
    assert unit_royalty(
        fair, unit_price=D("0.10"), duration_s=245, fx_rate=None, sale_currency="USD"
    ) == D("0.025")


def test_uk_joint_online_licence_eight_percent_split_mcps_prs() -> None:
    # JOL: 8% of gross, 75% MCPS (mechanical) / 25% PRS (performance)
    # -> two tariffs: 0.08 * 0.75 = 0.06 and 0.08 * 0.25 = 0.02.
    mcps = percent_tariff("mechanical", "0.06", currency="GBP")
    prs = percent_tariff("performance", "0.02", currency="GBP")
    price = D("0.79")  # a 79p download
    mechanical = unit_royalty(mcps, unit_price=price, duration_s=245, fx_rate=None)
    performance = unit_royalty(prs, unit_price=price, duration_s=245, fx_rate=None)
    # 0.79 * 0.06 = 0.0474; 0.79 * 0.02 = 0.0158; together 0.0632 = 0.79 * 0.08.
    assert mechanical == D("0.0474")
    assert performance == D("0.0158")
    assert mechanical + performance == price * D("0.08")


def test_greater_of_percent_and_fixed() -> None:
    both = TariffTerms(
        right_type="mechanical",
        currency="USD",
        percent_of_gross=D("0.08"),
        per_unit=D("0.091"),
        per_minute_rate=None,
    )
    # 8% of 0.99 = 0.0792 < 0.091 -> 0.091; 8% of 1.29 = 0.1032 > 0.091 -> 0.1032.
    assert unit_royalty(both, unit_price=D("0.99"), duration_s=None, fx_rate=None) == D("0.091")
    assert unit_royalty(both, unit_price=D("1.29"), duration_s=None, fx_rate=None) == D("0.1032")


# --- FX ------------------------------------------------------------------------------


def test_fixed_amount_is_converted_into_the_sale_currency() -> None:
    # 0.091 USD per unit, sale in RUB at 1 USD = 26.7 RUB: 0.091 * 26.7 = 2.4297 RUB.
    per_unit = unit_royalty(
        US_MECHANICAL_2006,
        unit_price=D("26.00"),
        duration_s=245,
        fx_rate=D("26.7"),
        sale_currency="RUB",
    )
    assert per_unit == D("2.4297")
    # 1000 units: 2429.7 RUB.
    assert royalty_for_units(per_unit, 1000) == D("2429.7")


def test_missing_fx_rate_is_raised_when_a_fixed_amount_needs_converting() -> None:
    with pytest.raises(MissingFxRate) as raised:
        unit_royalty(
            US_MECHANICAL_2006,
            unit_price=D("26.00"),
            duration_s=245,
            fx_rate=None,
            sale_currency="RUB",
        )
    assert (raised.value.from_currency, raised.value.to_currency) == ("USD", "RUB")
    # Same currency: nothing to convert, no rate needed.
    assert unit_royalty(
        US_MECHANICAL_2006, unit_price=D("0.99"), duration_s=245, fx_rate=None, sale_currency="USD"
    ) == D("0.091")

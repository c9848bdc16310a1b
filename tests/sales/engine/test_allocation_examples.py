"""Worked examples of rounding, routing and exact allocation, checked by hand.

Each split, route and refund below is the arithmetic a statement relies on: parts that
add up to the royalty exactly, the society that collects, what waits in suspense.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service.sales.pricing.engine.allocation import (
    Allocation,
    allocate_right,
    allocate_units,
    refund_allocations,
)
from service.sales.pricing.engine.engine import (
    royalty_for_units,
    unit_royalty,
)
from service.sales.pricing.engine.quanta import QUANTUM, quantize
from service.sales.pricing.engine.routing import MandateTerms, Route, ShareClaim, route_share
from tests.sales.engine.worked import (
    SALE_DAY,
    D,
    mandate,
    percent_tariff,
    split_exact,
    us_2006,
)

# --- rounding ------------------------------------------------------------------------


def test_quantize_is_half_even_at_six_digits() -> None:
    assert str(QUANTUM) == "0.000001"
    # Exactly half a quantum goes to the even neighbour.
    assert quantize(D("0.1234565")) == D("0.123456")
    assert quantize(D("0.1234575")) == D("0.123458")
    assert quantize(D("0.12345651")) == D("0.123457")  # above half: up
    assert str(quantize(D("-0.0000004"))) == "0.000000"  # no negative zero


# --- largest remainder ---------------------------------------------------------------


def test_split_of_ten_cents_in_thirds_gives_the_odd_quantum_to_the_first() -> None:
    # 0.10 = 100000 quanta; / 3 = 33333.33.. each -> floors 33333 * 3 = 99999, 1 left.
    # All remainders are equal (1/3), so the tie goes to the first position.
    assert split_exact(D("0.10"), [D(1), D(1), D(1)]) == [
        D("0.033334"),
        D("0.033333"),
        D("0.033333"),
    ]
    # Negative totals mirror positive ones.
    assert split_exact(D("-0.10"), [D(1), D(1), D(1)]) == [
        D("-0.033334"),
        D("-0.033333"),
        D("-0.033333"),
    ]


def test_split_largest_remainder_beats_position() -> None:
    # 0.000010 = 10 quanta by 1:2:3 -> exact 1.667, 3.333, 5.0 -> floors 1, 3, 5 (9),
    # one quantum left -> largest remainder 0.667 (first) -> [2, 3, 5].
    assert split_exact(D("0.00001"), [D(1), D(2), D(3)]) == [
        D("0.000002"),
        D("0.000003"),
        D("0.000005"),
    ]
    # Zero weights get nothing: 7 quanta over 0:1:0 -> [0, 7, 0].
    assert split_exact(D("0.000007"), [D(0), D(1), D(0)]) == [D(0), D("0.000007"), D(0)]


def test_thirds_of_a_sale_as_shares() -> None:
    # Shares are decimals, so a third is 0.333333 and 0.000001 stays unclaimed.
    # Royalty 0.10: each holder 0.10 * 0.333333 = 0.0333333 -> 33333 quanta + 0.3,
    # unclaimed 0.10 * 0.000001 = 0.0000001 -> 0 quanta + 0.1. Floors sum to 99999; the
    # one quantum left goes to the largest remainder, 0.3, tied three ways -> first
    # holder (holders are ordered by id). The unclaimed part rounds to 0 and is dropped.
    shares = [ShareClaim(h, D("0.333333")) for h in ("holder-c", "holder-a", "holder-b")]
    allocations = allocate_right(
        right_type="mechanical",
        royalty=D("0.10"),
        shares=shares,
        suspense_reason_if_no_shares="unknown_work",
        territory="US",
        on=SALE_DAY,
        mandates=[],
        ecl_society=None,
    )
    assert [(a.holder_id, a.amount) for a in allocations] == [
        ("holder-a", D("0.033334")),
        ("holder-b", D("0.033333")),
        ("holder-c", D("0.033333")),
    ]
    assert sum(a.amount for a in allocations) == D("0.10")


# --- who collects --------------------------------------------------------------------


def test_fifty_fifty_member_and_non_member_under_ecl() -> None:
    # RU download at 0.10 USD, ROMS mechanical 15% -> 0.015 per unit; 1 unit.
    # Holder "member" has a ROMS mandate for RU; "outsider" has none, so ROMS collects
    # its half under extended collective licensing, as a non-member.
    royalty = royalty_for_units(
        unit_royalty(
            percent_tariff("mechanical", "0.15"),
            unit_price=D("0.10"),
            duration_s=245,
            fx_rate=None,
            sale_currency="USD",
        ),
        1,
    )
    assert royalty == D("0.015")
    allocations = allocate_right(
        right_type="mechanical",
        royalty=royalty,
        shares=[ShareClaim("member", D("0.5")), ShareClaim("outsider", D("0.5"))],
        suspense_reason_if_no_shares="unknown_work",
        territory="RU",
        on=SALE_DAY,
        mandates=[mandate("member", "ROMS", "mechanical", "RU")],
        ecl_society="ROMS",
    )
    # 0.015 * 0.5 = 0.0075 each, exact.
    assert allocations == [
        Allocation("mechanical", "ROMS", "member", False, None, D("0.5"), D("0.0075")),
        Allocation("mechanical", "ROMS", "outsider", True, None, D("0.5"), D("0.0075")),
    ]


def test_fifty_fifty_without_ecl_pays_the_non_member_directly() -> None:
    # US: HFA administers "member"; no US society has ECL, so "outsider" is paid direct.
    # 1 unit at 0.091 -> 0.0455 each.
    allocations = allocate_right(
        right_type="mechanical",
        royalty=royalty_for_units(us_2006(245), 1),
        shares=[ShareClaim("member", D("0.5")), ShareClaim("outsider", D("0.5"))],
        suspense_reason_if_no_shares="unknown_work",
        territory="US",
        on=SALE_DAY,
        mandates=[mandate("member", "HFA", "mechanical", "US")],
        ecl_society=None,
    )
    assert allocations == [
        Allocation("mechanical", "HFA", "member", False, None, D("0.5"), D("0.0455")),
        Allocation("mechanical", None, "outsider", False, None, D("0.5"), D("0.0455")),
    ]


def test_route_share_rules() -> None:
    world = mandate("h", "GEMA", "performance", "WORLD")
    newer = MandateTerms("h", "PRS", "performance", frozenset({"GB"}), date(2007, 1, 1), None)
    expired = MandateTerms(
        "h", "MCPS", "mechanical", frozenset({"GB"}), date(2000, 1, 1), date(2006, 11, 3)
    )
    mandates = [world, newer, expired]

    def route(right_type: str, territory: str, on: date, ecl: str | None = None) -> Route:
        return route_share(
            holder_id="h",
            right_type=right_type,
            territory=territory,
            on=on,
            mandates=mandates,
            ecl_society=ecl,
        )

    # A WORLD mandate covers every territory.
    assert route("performance", "GB", SALE_DAY) == Route("GEMA", False)
    # Two mandates valid on the day: the one with the latest valid_from wins.
    assert route("performance", "GB", date(2007, 6, 1)) == Route("PRS", False)
    # valid_to is exclusive: the MCPS mandate ended the day before the sale.
    assert route("mechanical", "GB", SALE_DAY, ecl="MCPS-ECL") == Route("MCPS-ECL", True)
    assert route("mechanical", "GB", date(2006, 11, 2)) == Route("MCPS", False)
    assert route("mechanical", "GB", SALE_DAY) == Route(None, False)


# --- suspense ------------------------------------------------------------------------


def test_unclaimed_quarter_goes_to_suspense() -> None:
    # Shares total 0.75, so 0.25 of 0.091 is unclaimed:
    # holder 0.091 * 0.75 = 0.06825, suspense 0.091 * 0.25 = 0.02275 (both exact).
    allocations = allocate_right(
        right_type="mechanical",
        royalty=D("0.091"),
        shares=[ShareClaim("publisher", D("0.75"))],
        suspense_reason_if_no_shares="unknown_work",
        territory="US",
        on=SALE_DAY,
        mandates=[],
        ecl_society=None,
    )
    assert allocations == [
        Allocation("mechanical", None, "publisher", False, None, D("0.75"), D("0.06825")),
        Allocation("mechanical", None, None, False, "unclaimed_share", D("0.25"), D("0.02275")),
    ]


def test_no_shares_holds_the_whole_royalty_under_the_given_reason() -> None:
    allocations = allocate_right(
        right_type="neighbouring",
        royalty=D("0.025"),
        shares=None,
        suspense_reason_if_no_shares="unknown_recording",
        territory="RU",
        on=SALE_DAY,
        mandates=[],
        ecl_society="FAIR",
    )
    assert allocations == [
        Allocation("neighbouring", None, None, False, "unknown_recording", None, D("0.025"))
    ]
    # Nothing owed -> nothing allocated.
    assert (
        allocate_right(
            right_type="neighbouring",
            royalty=D(0),
            shares=[],
            suspense_reason_if_no_shares="unknown_recording",
            territory="RU",
            on=SALE_DAY,
            mandates=[],
            ecl_society="FAIR",
        )
        == []
    )


# --- refunds -------------------------------------------------------------------------


THIRDS = [ShareClaim(h, D("0.333333")) for h in ("a", "b", "c")]


def sell(unit: Decimal, units: int) -> list[Allocation]:
    return allocate_units(
        right_type="mechanical",
        unit_royalty=unit,
        units=units,
        shares=THIRDS,
        suspense_reason_if_no_shares="unknown_work",
        territory="US",
        on=SALE_DAY,
        mandates=[],
        ecl_society=None,
    )


def refund(unit: Decimal, *, sold: int, already: int, refunding: int) -> list[Allocation]:
    return refund_allocations(
        right_type="mechanical",
        unit_royalty=unit,
        sold_units=sold,
        already_refunded=already,
        refunding=refunding,
        shares=THIRDS,
        suspense_reason_if_no_shares="unknown_work",
        territory="US",
        on=SALE_DAY,
        mandates=[],
        ecl_society=None,
    )


def test_refund_in_two_parts_negates_the_sale_exactly() -> None:
    # 3 units at 0.0333335 (a deliberately awkward unit royalty), three holders of 0.333333.
    unit = D("0.0333335")
    # Sale: 3 * 0.0333335 = 0.1000005 -> half-even -> 0.100000 (a tie; 0 is even)
    # = 100000 quanta -> 33333.3 each (+0.1 unclaimed) -> floors 99999, 1 left -> "a".
    sale = sell(unit, 3)
    assert [a.amount for a in sale] == [D("0.033334"), D("0.033333"), D("0.033333")]

    # Refund 1 unit = -(allocations for 1 unit - allocations for 0 units).
    # 1 unit: 0.0333335 -> half-even -> 0.033334 (a tie; 4 is even) = 33334 quanta
    # -> 33334 * 0.333333 = 11111.322 each (+0.033 unclaimed) -> floors 33333, 1 left
    # -> "a": [0.011112, 0.011111, 0.011111].
    first = refund(unit, sold=3, already=0, refunding=1)
    assert [a.amount for a in first] == [D("-0.011112"), D("-0.011111"), D("-0.011111")]

    # The other 2 units = -(allocations for 3 units - allocations for 1 unit)
    # = -[0.033334 - 0.011112, 0.033333 - 0.011111, 0.033333 - 0.011111].
    rest = refund(unit, sold=3, already=1, refunding=2)
    assert [a.amount for a in rest] == [D("-0.022222"), D("-0.022222"), D("-0.022222")]

    for sold, part1, part2 in zip(sale, first, rest, strict=True):
        assert sold.key == part1.key == part2.key
        assert sold.amount + part1.amount + part2.amount == 0


def test_refund_never_exceeds_the_units_sold() -> None:
    with pytest.raises(ValueError, match="cannot refund"):
        refund(D("0.091"), sold=3, already=1, refunding=3)
    assert refund(D("0.091"), sold=3, already=3, refunding=0) == []


def test_partial_refund_can_move_one_quantum_the_other_way() -> None:
    # Largest remainder is not monotone in the total (the "Alabama paradox"), so a
    # partial refund may hand a beneficiary one quantum back; the parts still telescope.
    claims = {"h0": "0.019", "h1": "0.407", "h2": "0.158", "h3": "0.371", "h4": "0.044"}
    shares = [ShareClaim(h, D(s)) for h, s in claims.items()]  # 0.999; 0.001 unclaimed

    def refund_fifth_unit() -> list[Allocation]:
        return refund_allocations(
            right_type="performance",
            unit_royalty=D("0.000002"),
            sold_units=7,
            already_refunded=4,
            refunding=1,
            shares=shares,
            suspense_reason_if_no_shares="unknown_work",
            territory="US",
            on=SALE_DAY,
            mandates=[],
            ecl_society=None,
        )

    # 4 units = 8 quanta: exact 0.152, 3.256, 1.264, 2.968, 0.352 (+0.008 unclaimed)
    #   -> floors 0, 3, 1, 2, 0 (6); 2 left -> remainders .968 (h3), .352 (h4)
    #   -> [0, 3, 1, 3, 1].
    # 5 units = 10 quanta: exact 0.19, 4.07, 1.58, 3.71, 0.44 (+0.01 unclaimed)
    #   -> floors 0, 4, 1, 3, 0 (8); 2 left -> remainders .71 (h3), .58 (h2)
    #   -> [0, 4, 2, 4, 0].
    # Refund = -([0, 4, 2, 4, 0] - [0, 3, 1, 3, 1]) = [0, -1, -1, -1, +1] quanta.
    assert [(a.holder_id, a.amount) for a in refund_fifth_unit()] == [
        ("h1", D("-0.000001")),
        ("h2", D("-0.000001")),
        ("h3", D("-0.000001")),
        ("h4", D("0.000001")),
    ]

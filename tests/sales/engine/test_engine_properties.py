"""Property tests for the royalty engine: exactness of every split, sale and refund."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.sales.pricing.engine.allocation import (
    Allocation,
    allocate_right,
    allocate_routed_units,
    allocate_units,
    largest_remainder,
    refund_allocations,
)
from service.sales.pricing.engine.engine import TariffTerms, royalty_for_units, unit_royalty
from service.sales.pricing.engine.quanta import QUANTUM, quantize
from service.sales.pricing.engine.routing import MandateTerms, RoutedClaim, ShareClaim
from tests.sales.engine.worked import split_exact

D = Decimal


HOLDERS = ("h1", "h2", "h3", "h4", "h5")
SOCIETIES = ("ROMS", "RAO", "FAIR", "HFA")
TERRITORIES = ("RU", "US", "GB")
RIGHT_TYPES = ("mechanical", "performance", "neighbouring")
EPOCH = date(2005, 1, 1)

# Per-test settings (not a global profile): other suites share the pytest session.
engine_settings = settings(deadline=None, max_examples=200)


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=D(low), max_value=D(high), places=places, allow_nan=False, allow_infinity=False
    )


def is_quantized(amount: Decimal) -> bool:
    return amount.as_tuple().exponent == -6


days = st.integers(0, 4 * 365).map(lambda n: EPOCH + timedelta(days=n))


@st.composite
def tariffs(draw: st.DrawFn) -> TariffTerms:
    optional_rate = st.none() | decimals("0", "2", 6)
    percent, per_unit, per_minute = draw(
        st.tuples(st.none() | decimals("0", "1", 4), optional_rate, optional_rate).filter(
            lambda components: any(c is not None for c in components)
        )
    )
    return TariffTerms(
        right_type=draw(st.sampled_from(RIGHT_TYPES)),
        currency="USD",
        percent_of_gross=percent,
        per_unit=per_unit,
        per_minute_rate=per_minute,
        per_minute_over_seconds=draw(st.sampled_from([0, 60, 300])),
    )


@st.composite
def share_lists(draw: st.DrawFn) -> list[ShareClaim]:
    """Shares with 6 fractional digits summing to at most 1 (cut points on [0, 1])."""
    cuts = sorted(draw(st.lists(st.integers(0, 10**6), max_size=6)))
    fully_claimed = draw(st.booleans())
    if cuts and fully_claimed:
        cuts[-1] = 10**6
    bounds = [0, *cuts]
    holders = draw(st.lists(st.sampled_from(HOLDERS), min_size=len(cuts), max_size=len(cuts)))
    return [
        ShareClaim(holder, D(high - low).scaleb(-6))
        for holder, (low, high) in zip(holders, pairwise(bounds), strict=True)
    ]


@st.composite
def mandate_lists(draw: st.DrawFn) -> list[MandateTerms]:
    mandates = []
    for _ in range(draw(st.integers(0, 6))):
        valid_from = draw(days)
        length = draw(st.none() | st.integers(1, 3 * 365))
        mandates.append(
            MandateTerms(
                holder_id=draw(st.sampled_from(HOLDERS)),
                society_code=draw(st.sampled_from(SOCIETIES)),
                right_type=draw(st.sampled_from(RIGHT_TYPES)),
                territories=frozenset(
                    draw(st.lists(st.sampled_from((*TERRITORIES, "WORLD")), min_size=1))
                ),
                valid_from=valid_from,
                valid_to=None if length is None else valid_from + timedelta(days=length),
            )
        )
    return mandates


@dataclass(frozen=True)
class Sale:
    tariff: TariffTerms
    unit_price: Decimal
    duration_s: int | None
    fx_rate: Decimal | None
    units: int
    shares: list[ShareClaim] | None
    territory: str
    on: date
    mandates: list[MandateTerms]
    ecl_society: str | None

    @property
    def per_unit_royalty(self) -> Decimal:
        return unit_royalty(
            self.tariff,
            unit_price=self.unit_price,
            duration_s=self.duration_s,
            fx_rate=self.fx_rate,
            sale_currency="USD" if self.fx_rate is None else "RUB",
        )

    def allocations(self, units: int) -> list[Allocation]:
        return allocate_units(
            right_type=self.tariff.right_type,
            unit_royalty=self.per_unit_royalty,
            units=units,
            shares=self.shares,
            suspense_reason_if_no_shares="unknown_work",
            territory=self.territory,
            on=self.on,
            mandates=self.mandates,
            ecl_society=self.ecl_society,
        )

    def refund(self, *, already: int, refunding: int) -> list[Allocation]:
        return refund_allocations(
            right_type=self.tariff.right_type,
            unit_royalty=self.per_unit_royalty,
            sold_units=self.units,
            already_refunded=already,
            refunding=refunding,
            shares=self.shares,
            suspense_reason_if_no_shares="unknown_work",
            territory=self.territory,
            on=self.on,
            mandates=self.mandates,
            ecl_society=self.ecl_society,
        )


sales = st.builds(
    Sale,
    tariff=tariffs(),
    unit_price=decimals("0", "100", 4),
    duration_s=st.none() | st.integers(0, 3600),
    fx_rate=st.none() | decimals("0.0001", "1000", 4),
    units=st.integers(1, 10_000),
    shares=st.none() | share_lists(),
    territory=st.sampled_from(TERRITORIES),
    on=days,
    mandates=mandate_lists(),
    ecl_society=st.none() | st.sampled_from(SOCIETIES),
)


def total_by_key(*allocation_lists: Sequence[Allocation]) -> dict[object, Decimal]:
    totals: dict[object, Decimal] = defaultdict(Decimal)
    for allocations in allocation_lists:
        for allocation in allocations:
            totals[allocation.key] += allocation.amount
    return totals


# --- unit royalty --------------------------------------------------------------------


@engine_settings
@given(sales)
def test_unit_royalty_is_the_greatest_applicable_component(sale: Sale) -> None:
    tariff, rate = sale.tariff, sale.fx_rate or D(1)
    candidates = [D(0)]
    if tariff.percent_of_gross is not None:
        candidates.append(tariff.percent_of_gross * sale.unit_price)
    if tariff.per_unit is not None:
        candidates.append(tariff.per_unit * rate)
    if (
        tariff.per_minute_rate is not None
        and sale.duration_s is not None
        and sale.duration_s > tariff.per_minute_over_seconds
    ):
        minutes = (sale.duration_s + 59) // 60
        candidates.append(minutes * tariff.per_minute_rate * rate)
    assert sale.per_unit_royalty == max(candidates)


# --- sales ---------------------------------------------------------------------------


@engine_settings
@given(sales)
def test_sale_allocations_sum_exactly_and_are_never_negative(sale: Sale) -> None:
    royalty = royalty_for_units(sale.per_unit_royalty, sale.units)
    allocations = sale.allocations(sale.units)

    assert sum(a.amount for a in allocations) == royalty
    assert all(a.amount > 0 for a in allocations)  # zeros are dropped, nothing negative
    assert all(is_quantized(a.amount) for a in allocations)
    assert len({a.key for a in allocations}) == len(allocations)  # one per beneficiary
    assert bool(allocations) == (royalty != 0)

    # Each holder gets its share to within one quantum.
    claimed: dict[str, Fraction] = defaultdict(Fraction)
    for claim in sale.shares or []:
        claimed[claim.holder_id] += Fraction(claim.share)
    for allocation in allocations:
        if allocation.holder_id is not None:
            exact = Fraction(royalty) * claimed[allocation.holder_id]
            assert abs(Fraction(allocation.amount) - exact) < Fraction(QUANTUM)
            assert allocation.suspense is None
        else:
            assert allocation.society_code is None
            assert allocation.suspense == ("unclaimed_share" if sale.shares else "unknown_work")


@engine_settings
@given(sales)
def test_routing_follows_mandate_then_ecl_then_direct(sale: Sale) -> None:
    for allocation in sale.allocations(sale.units):
        if allocation.holder_id is None:
            continue
        covering = {
            m.society_code
            for m in sale.mandates
            if m.holder_id == allocation.holder_id
            and m.right_type == sale.tariff.right_type
            and (sale.territory in m.territories or "WORLD" in m.territories)
            and m.valid_from <= sale.on
            and (m.valid_to is None or sale.on < m.valid_to)
        }
        if covering:
            assert allocation.society_code in covering
            assert not allocation.non_member
        else:
            assert allocation.society_code == sale.ecl_society
            assert allocation.non_member == (sale.ecl_society is not None)


# --- refunds -------------------------------------------------------------------------


@engine_settings
@given(sales, st.data())
def test_full_refund_in_parts_negates_each_beneficiary_exactly(
    sale: Sale, data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(0, sale.units), max_size=5))
    bounds = [0, *sorted({c for c in cuts if 0 < c < sale.units}), sale.units]
    sold = sale.allocations(sale.units)

    refunds = []
    for already, through in pairwise(bounds):
        part = sale.refund(already=already, refunding=through - already)
        refunded = royalty_for_units(sale.per_unit_royalty, through) - royalty_for_units(
            sale.per_unit_royalty, already
        )
        # Each part reverses exactly the royalty of its units...
        assert sum(a.amount for a in part) == -refunded
        assert all(is_quantized(a.amount) and a.amount != 0 for a in part)
        # ...and credits no one more than a rounding quantum (largest remainder is not
        # monotone in the total: a beneficiary may get +1 quantum back on a partial refund).
        assert all(a.amount <= QUANTUM for a in part)
        refunds.append(part)

    remaining = total_by_key(sold, *refunds)
    assert all(amount == 0 for amount in remaining.values())


@engine_settings
@given(sales, st.integers(1, 5))
def test_refund_never_exceeds_the_units_sold(sale: Sale, excess: int) -> None:
    with pytest.raises(ValueError):
        sale.refund(already=0, refunding=sale.units + excess)
    already = sale.units // 2
    with pytest.raises(ValueError):
        sale.refund(already=already, refunding=sale.units - already + excess)


# --- splitting in quanta ---------------------------------------------------------------------

weight_lists = st.lists(decimals("0", "1000", 6), min_size=1, max_size=8).filter(
    lambda weights: any(w > 0 for w in weights)
)
quantum_totals = st.integers(-(10**15), 10**15).map(lambda n: D(n).scaleb(-6))


@engine_settings
@given(quantum_totals, weight_lists)
def test_split_exact_sums_to_total_within_a_quantum_of_proportional(
    total: Decimal, weights: list[Decimal]
) -> None:
    parts = split_exact(total, weights)

    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert all(is_quantized(p) for p in parts)
    weight_sum = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total) * Fraction(weight) / weight_sum
        assert abs(Fraction(part) - exact) < Fraction(QUANTUM)
        if weight == 0:
            assert part == 0


@engine_settings
@given(quantum_totals, weight_lists)
def test_split_exact_is_symmetric_for_negative_totals(
    total: Decimal, weights: list[Decimal]
) -> None:
    assert split_exact(-total, weights) == [-p for p in split_exact(total, weights)]


@engine_settings
@given(decimals("0", "1", 9), st.lists(decimals("0", "1", 6), min_size=1))
def test_split_exact_rejects_amounts_finer_than_a_quantum(
    amount: Decimal, weights: list[Decimal]
) -> None:
    if quantize(amount) != amount:
        with pytest.raises(ValueError):
            split_exact(amount, [*weights, D(1)])


# --- rounding ------------------------------------------------------------------------


@engine_settings
@given(decimals("-1000", "1000", 12))
def test_quantize_rounds_to_the_nearest_quantum(amount: Decimal) -> None:
    rounded = quantize(amount)
    assert is_quantized(rounded)
    assert abs(rounded - amount) <= QUANTUM / 2
    assert quantize(rounded) == rounded


@engine_settings
@given(sales)
def test_allocate_right_rejects_unrounded_royalties(sale: Sale) -> None:
    with pytest.raises(ValueError):
        allocate_right(
            right_type=sale.tariff.right_type,
            royalty=D("0.0000001"),
            shares=sale.shares,
            suspense_reason_if_no_shares="unknown_work",
            territory=sale.territory,
            on=sale.on,
            mandates=sale.mandates,
            ecl_society=sale.ecl_society,
        )


def _rational_largest_remainder(total: int, weights: list[Decimal]) -> list[int]:
    """The reference: the rule computed with fractions, as the engine first did."""
    rational = [Fraction(w) for w in weights]
    weight_sum = sum(rational, Fraction(0))
    exact = [abs(total) * w / weight_sum for w in rational]
    parts = [int(value) for value in exact]  # floor: every value is non-negative
    by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for index in by_remainder[: abs(total) - sum(parts)]:
        parts[index] += 1
    return [-p for p in parts] if total < 0 else parts


@engine_settings
@given(
    st.integers(-(10**15), 10**15),
    st.lists(
        st.decimals(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
        | decimals("0", "1", 12),
        min_size=1,
        max_size=8,
    ).filter(lambda weights: any(w > 0 for w in weights)),
)
def test_integer_largest_remainder_equals_the_rational_rule(
    total: int, weights: list[Decimal]
) -> None:
    """Scaled-integer arithmetic gives exactly the parts the rational computation gives."""
    assert largest_remainder(total, weights) == _rational_largest_remainder(total, weights)


@engine_settings
@given(
    tariffs(),
    decimals("0", "100", 4),
    st.integers(0, 10_000),
    share_lists(),
    st.data(),
)
def test_allocating_along_stored_routes_equals_routing_again(
    tariff: TariffTerms, price: Decimal, units: int, shares: list[ShareClaim], data: st.DataObject
) -> None:
    """``allocate_routed_units`` = ``allocate_units`` with mandates and an ECL society that
    reproduce the routes (how a stored basis is replayed)."""
    unit = unit_royalty(tariff, unit_price=price, duration_s=None, fx_rate=None)
    by_holder: dict[str, Decimal] = {}
    for claim in shares:  # one claim per holder, as a basis stores them
        by_holder[claim.holder_id] = by_holder.get(claim.holder_id, D(0)) + claim.share
    ecl = data.draw(st.none() | st.sampled_from(SOCIETIES))
    routes = {holder: data.draw(st.sampled_from(SOCIETIES) | st.just(None)) for holder in by_holder}
    routed = [
        RoutedClaim(h, s, routes[h] or ecl, routes[h] is None and ecl is not None)
        for h, s in by_holder.items()
    ]
    mandates = [
        MandateTerms(h, society, tariff.right_type, frozenset({"RU"}), date.min, None)
        for h, society in routes.items()
        if society is not None
    ]
    expected = allocate_units(
        right_type=tariff.right_type,
        unit_royalty=unit,
        units=units,
        shares=[ShareClaim(h, s) for h, s in by_holder.items()] or None,
        suspense_reason_if_no_shares="unknown_work",
        territory="RU",
        on=date.min,
        mandates=mandates,
        ecl_society=ecl,
    )
    assert (
        allocate_routed_units(
            right_type=tariff.right_type,
            unit_royalty=unit,
            units=units,
            claims=routed or None,
            suspense_reason_if_no_shares="unknown_work",
        )
        == expected
    )

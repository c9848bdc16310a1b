"""Properties of the allocation basis (pure: no database).

Whatever the shares, price and order of partial refunds and releases, what the ledger
holds for a sale is ``A(n) - A(k)`` under its current basis, and refunding every unit
leaves every beneficiary at exactly zero.
"""

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from service.sales.pricing.basis import (
    Basis,
    Claim,
    Delta,
    Key,
    RightBasis,
    allocate,
    refund_deltas,
    release_deltas,
    sale_deltas,
)

HOLDERS = ("h1", "h2", "h3")
TERRITORY = "RU"


@st.composite
def right_bases(draw: st.DrawFn, right_type: str = "mechanical") -> RightBasis:
    unit = draw(st.decimals(min_value=0, max_value=3, places=draw(st.integers(0, 9))))
    holders = draw(st.lists(st.sampled_from(HOLDERS), unique=True, max_size=3))
    claims = []
    left = Decimal(1)
    for holder in sorted(holders):
        if left < Decimal("0.000001"):
            break
        share = draw(st.decimals(min_value=Decimal("0.000001"), max_value=left, places=6))
        left -= share
        society = draw(st.sampled_from([None, "S1", "S2"]))
        claims.append(Claim(holder, share, society, False))
    reason = draw(st.sampled_from(["unknown_recording", "unknown_work", "unclaimed_share"]))
    return RightBasis(right_type, unit, tuple(claims), reason, 1, None, None)


def add(net: dict[Key, Decimal], deltas: list[Delta]) -> None:
    for d in deltas:
        net[d.key] += d.amount


def held(basis: Basis, sold: int, refunded: int) -> dict[Key, Decimal]:
    expected: dict[Key, Decimal] = defaultdict(Decimal)
    for right in basis.values():
        for a in allocate(right, units=sold, territory=TERRITORY):
            expected[(a.right_type, a.society_code, a.holder_id, a.non_member, a.suspense)] += (
                a.amount
            )
        for a in allocate(right, units=refunded, territory=TERRITORY):
            expected[(a.right_type, a.society_code, a.holder_id, a.non_member, a.suspense)] -= (
                a.amount
            )
    return expected


def nonzero(amounts: dict[Key, Decimal]) -> dict[Key, Decimal]:
    return {k: v for k, v in amounts.items() if v}


@settings(max_examples=150, deadline=None)
@given(
    first=right_bases(),
    second=right_bases(),
    sold=st.integers(1, 25),
    cuts=st.lists(st.integers(1, 25), max_size=4),
    release_at=st.integers(0, 5),
)
def test_refunds_and_releases_keep_the_books_exact(
    first: RightBasis,
    second: RightBasis,
    sold: int,
    cuts: list[int],
    release_at: int,
) -> None:
    # A release never changes the price (unless it waited for an FX rate), only routes.
    second = RightBasis(
        second.right_type, first.unit_royalty, second.claims, second.reason, 1, None, None
    )
    basis: Basis = {"mechanical": first}
    net: dict[Key, Decimal] = defaultdict(Decimal)
    add(net, sale_deltas(basis, units=sold, territory=TERRITORY))
    refunds = [c for c in cuts if c]
    refunded = 0
    steps = 0
    while refunded < sold:
        if steps == release_at:
            new = {"mechanical": second}
            deltas = release_deltas(basis, new, sold=sold, refunded=refunded, territory=TERRITORY)
            assert sum((d.amount for d in deltas), Decimal(0)) == 0  # price unchanged
            add(net, deltas)
            basis = new
        quantity = min(refunds.pop(0) if refunds else sold, sold - refunded)
        deltas = refund_deltas(
            basis, sold=sold, refunded=refunded, refunding=quantity, territory=TERRITORY
        )
        add(net, deltas)
        refunded += quantity
        steps += 1
        assert nonzero(net) == nonzero(held(basis, sold, refunded))
    assert nonzero(net) == {}

"""Exact allocation: a right type's royalty split among its beneficiaries to the quantum.

The royalty is converted to integer quanta and apportioned by the largest-remainder
(Hamilton) rule, so the parts add up to it exactly and no quantum is created or lost.

``largest_remainder`` itself is kept free of money concepts: amounts are converted to
integer quanta, apportioned there and converted back, so the arithmetic is exact
integer arithmetic and never depends on a decimal context's precision.

Weights are decimals; they are scaled to integers over a common denominator (each
decimal is exactly ``n / d`` with ``d`` a power of ten's divisor, so the least common
multiple of the denominators makes every weight a whole number without rounding). The
proportional value of part ``i`` is then ``total * w_i / W`` with integers only: its
floor is ``total * w_i // W`` and its fractional remainder ``(total * w_i % W) / W``,
and since every remainder has the same denominator ``W`` they compare as integers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise

from service.sales.pricing.engine.engine import (
    SUSPENSE_REASONS,
    UNCLAIMED_SHARE,
    royalty_for_units,
)
from service.sales.pricing.engine.quanta import (
    EXACT,
    ONE,
    ZERO,
    exact_sum,
    from_quanta,
    require_count,
    require_finite,
    to_quanta,
)
from service.sales.pricing.engine.routing import MandateTerms, RoutedClaim, ShareClaim, route_share


def largest_remainder(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Split the integer ``total`` into ``len(weights)`` integers proportional to ``weights``.

    Each part is the floor of its exact proportional value; the units left over (fewer
    than the number of parts) go one each to the parts with the largest fractional
    remainders, ties going to the earlier position so the result is deterministic.
    Every part therefore differs from its exact value by less than one unit, and the
    parts always sum to ``total``.

    A negative total is split as the mirror image of its magnitude, so
    ``largest_remainder(-t, w) == [-p for p in largest_remainder(t, w)]``: refunds and
    reversals round exactly like the sales they undo.

    Weights must be finite and non-negative; zero weights receive nothing. If every
    weight is zero only a zero total can be split.
    """
    integer_weights = scaled_weights(weights)
    return largest_remainder_scaled(total, integer_weights, sum(integer_weights))


def largest_remainder_scaled(
    total: int, integer_weights: Sequence[int], weight_sum: int
) -> list[int]:
    """``largest_remainder`` over weights already scaled to integers (``scaled_weights``)
    whose sum is ``weight_sum``: what a compiled plan applies per sale."""
    if weight_sum == 0:
        if total == 0:
            return [0] * len(integer_weights)
        raise ValueError("cannot apportion a non-zero total over weights that sum to zero")

    magnitude = abs(total)
    parts: list[int] = []
    remainders: list[int] = []
    for weight in integer_weights:
        part, remainder = divmod(magnitude * weight, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    leftover = magnitude - sum(parts)
    if leftover:
        # Largest fractional remainder first; equal remainders in input order.
        by_remainder = sorted(range(len(parts)), key=lambda i: (-remainders[i], i))
        for index in by_remainder[:leftover]:
            parts[index] += 1

    if total < 0:
        return [-part for part in parts]
    return parts


def scaled_weights(weights: Sequence[Decimal]) -> list[int]:
    """The weights as integers in the same proportions (exactly: a common denominator)."""
    ratios = [_ratio(w) for w in weights]
    denominator = math.lcm(*(d for _, d in ratios)) if ratios else 1
    return [n * (denominator // d) for n, d in ratios]


def _ratio(weight: Decimal) -> tuple[int, int]:
    if not weight.is_finite() or weight < 0:
        raise ValueError(f"weights must be finite and non-negative, got {weight}")
    return weight.as_integer_ratio()


# --- allocating a royalty among beneficiaries -----------------------------------------


@dataclass(frozen=True, slots=True)
class Allocation:
    """One beneficiary's part of a right type's royalty (or a suspense holding)."""

    right_type: str
    society_code: str | None
    holder_id: str | None
    non_member: bool
    suspense: str | None
    share: Decimal | None
    amount: Decimal

    @property
    def key(self) -> tuple[str | None, str | None, bool, str | None]:
        """Identifies the beneficiary; refunds are matched to sales on this key."""
        return (self.society_code, self.holder_id, self.non_member, self.suspense)


def allocate_right(
    *,
    right_type: str,
    royalty: Decimal,
    shares: Sequence[ShareClaim] | None,
    suspense_reason_if_no_shares: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> list[Allocation]:
    """Split ``royalty`` (a multiple of QUANTUM) over the holders' shares, routed.

    Holders are merged (one allocation per holder) and ordered by holder id before the
    split, so largest-remainder ties never depend on the caller's query order. The rest
    (1 - sum of shares) goes to suspense as ``unclaimed_share``; with no shares at all
    the whole royalty is held under ``suspense_reason_if_no_shares``. Zero amounts are
    dropped. The amounts always sum exactly to ``royalty``.
    """
    if suspense_reason_if_no_shares not in SUSPENSE_REASONS:
        raise ValueError(f"unknown suspense reason {suspense_reason_if_no_shares!r}")
    total = from_quanta(to_quanta(royalty))  # validates and normalises to 6 digits

    if not shares:
        held = Allocation(right_type, None, None, False, suspense_reason_if_no_shares, None, total)
        return _non_zero([held])

    claimed = exact_sum(c.share for c in shares)
    if claimed > 1:
        raise ValueError(f"shares total {claimed}, more than 1")
    claims = _merge_claims(shares)
    unclaimed = EXACT.subtract(ONE, claimed)

    # ``total`` is already a whole number of quanta: apportion them directly.
    quanta = largest_remainder(to_quanta(total), [c.share for c in claims] + [unclaimed])
    amounts = [from_quanta(q) for q in quanta]
    allocations = [
        _holder_allocation(right_type, claim, amount, territory, on, mandates, ecl_society)
        for claim, amount in zip(claims, amounts[:-1], strict=True)
    ]
    allocations.append(
        Allocation(right_type, None, None, False, UNCLAIMED_SHARE, unclaimed, amounts[-1])
    )
    return _non_zero(allocations)


def _merge_claims(shares: Sequence[ShareClaim]) -> list[ShareClaim]:
    """One claim per holder (shares added up), ordered by holder id."""
    merged: dict[str, Decimal] = {}
    for claim in shares:
        merged[claim.holder_id] = EXACT.add(merged.get(claim.holder_id, ZERO), claim.share)
    return [ShareClaim(holder, merged[holder]) for holder in sorted(merged)]


def _holder_allocation(
    right_type: str,
    claim: ShareClaim,
    amount: Decimal,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> Allocation:
    route = route_share(
        holder_id=claim.holder_id,
        right_type=right_type,
        territory=territory,
        on=on,
        mandates=mandates,
        ecl_society=ecl_society,
    )
    return Allocation(
        right_type=right_type,
        society_code=route.society_code,
        holder_id=claim.holder_id,
        non_member=route.non_member,
        suspense=None,
        share=claim.share,
        amount=amount,
    )


def _non_zero(allocations: list[Allocation]) -> list[Allocation]:
    # If the royalty is non-zero some part is non-zero (they sum to it), so this never
    # empties the list of a non-zero royalty.
    return [a for a in allocations if a.amount != 0]


def allocate_units(
    *,
    right_type: str,
    unit_royalty: Decimal,
    units: int,
    shares: Sequence[ShareClaim] | None,
    suspense_reason_if_no_shares: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> list[Allocation]:
    """``allocate_right`` of ``royalty_for_units(unit_royalty, units)``.

    Use this for a sale so that its allocations are, by construction, the ones that
    :func:`refund_allocations` reverses.
    """
    return allocate_right(
        right_type=right_type,
        royalty=royalty_for_units(unit_royalty, units),
        shares=shares,
        suspense_reason_if_no_shares=suspense_reason_if_no_shares,
        territory=territory,
        on=on,
        mandates=mandates,
        ecl_society=ecl_society,
    )


def refund_allocations(
    *,
    right_type: str,
    unit_royalty: Decimal,
    sold_units: int,
    already_refunded: int,
    refunding: int,
    shares: Sequence[ShareClaim] | None,
    suspense_reason_if_no_shares: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> list[Allocation]:
    """Negative allocations reversing ``refunding`` more units of a sale.

    Cumulative differencing: allocations for ``already_refunded + refunding`` units minus
    those for ``already_refunded`` units, negated, per beneficiary key. The parts of a
    sale's refunds telescope, so refunding every unit (in any number of parts) negates the
    sale's allocations exactly per beneficiary. Pass the sale's inputs (its date, unit
    royalty and FX, and the shares and mandates in force then), not the refund's.
    """
    for value, name in (
        (sold_units, "sold_units"),
        (already_refunded, "already_refunded"),
        (refunding, "refunding"),
    ):
        require_count(value, name)
    if already_refunded + refunding > sold_units:
        raise ValueError(
            f"cannot refund {refunding} more units of {sold_units} sold, "
            f"{already_refunded} already refunded"
        )

    def allocations_for(units: int) -> list[Allocation]:
        return allocate_units(
            right_type=right_type,
            unit_royalty=unit_royalty,
            units=units,
            shares=shares,
            suspense_reason_if_no_shares=suspense_reason_if_no_shares,
            territory=territory,
            on=on,
            mandates=mandates,
            ecl_society=ecl_society,
        )

    before = allocations_for(already_refunded)
    after = allocations_for(already_refunded + refunding)
    return _negated_difference(after, before)


def _negated_difference(after: list[Allocation], before: list[Allocation]) -> list[Allocation]:
    """``-(after - before)`` per beneficiary key, in ``after`` order, zeros dropped."""
    templates: dict[tuple[str | None, str | None, bool, str | None], Allocation] = {}
    differences: dict[tuple[str | None, str | None, bool, str | None], Decimal] = {}
    for allocation in after:
        templates.setdefault(allocation.key, allocation)
        differences[allocation.key] = EXACT.subtract(
            differences.get(allocation.key, ZERO), allocation.amount
        )
    for allocation in before:
        templates.setdefault(allocation.key, allocation)
        differences[allocation.key] = EXACT.add(
            differences.get(allocation.key, ZERO), allocation.amount
        )
    reversed_allocations = [
        replace(templates[key], amount=from_quanta(to_quanta(amount)))
        for key, amount in differences.items()
    ]
    return _non_zero(reversed_allocations)


def allocate_routed_units(
    *,
    right_type: str,
    unit_royalty: Decimal,
    units: int,
    claims: Sequence[RoutedClaim] | None,
    suspense_reason_if_no_shares: str,
) -> list[Allocation]:
    """``allocate_units`` for claims whose routes are already known.

    The result is exactly that of :func:`allocate_units` given the same shares and the
    mandates and ECL society that reproduce these routes (what a stored basis records):
    the same rounding, largest-remainder split, order, unclaimed part and dropped zeros;
    only the re-derivation of each route is skipped. Each holder must appear once.
    """
    if suspense_reason_if_no_shares not in SUSPENSE_REASONS:
        raise ValueError(f"unknown suspense reason {suspense_reason_if_no_shares!r}")
    royalty = royalty_for_units(unit_royalty, units)
    total = from_quanta(to_quanta(royalty))
    if not claims:
        held = Allocation(right_type, None, None, False, suspense_reason_if_no_shares, None, total)
        return _non_zero([held])
    ordered = sorted(claims, key=_routed_holder)
    for claim, following in pairwise(ordered):
        if claim.holder_id == following.holder_id:
            raise ValueError(f"holder {claim.holder_id} claims twice")
    shares = [c.share for c in ordered]
    for share in shares:
        require_finite(share, "share")
        if not 0 <= share <= 1:
            raise ValueError(f"a share must be between 0 and 1: {share}")
    claimed = exact_sum(shares)
    if claimed > 1:
        raise ValueError(f"shares total {claimed}, more than 1")
    unclaimed = EXACT.subtract(ONE, claimed)
    # As allocate_right's merge writes each share: 0 + share.
    merged = [EXACT.add(ZERO, share) for share in shares]
    quanta = largest_remainder(to_quanta(total), [*merged, unclaimed])
    allocations = [
        Allocation(
            right_type, c.society_code, c.holder_id, c.non_member, None, share, from_quanta(q)
        )
        for c, share, q in zip(ordered, merged, quanta, strict=False)
    ]
    allocations.append(
        Allocation(
            right_type, None, None, False, UNCLAIMED_SHARE, unclaimed, from_quanta(quanta[-1])
        )
    )
    return _non_zero(allocations)


def _routed_holder(claim: RoutedClaim) -> str:
    return claim.holder_id

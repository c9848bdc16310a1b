"""Largest-remainder (Hamilton) apportionment of a whole number of indivisible units.

Kept free of money concepts: the engine converts amounts to integer quanta, apportions
them here and converts back, so the arithmetic is exact integer arithmetic and never
depends on a decimal context's precision.

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
from decimal import Decimal


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
    weight_sum = sum(integer_weights)
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

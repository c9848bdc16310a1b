"""Largest-remainder (Hamilton) apportionment of a whole number of indivisible units.

Kept free of money concepts: the engine converts amounts to integer quanta, apportions
them here and converts back, so the arithmetic is exact integer/rational arithmetic and
never depends on a decimal context's precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction


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
    rational_weights = [_weight(w) for w in weights]
    weight_sum = sum(rational_weights, Fraction(0))
    if weight_sum == 0:
        if total == 0:
            return [0] * len(rational_weights)
        raise ValueError("cannot apportion a non-zero total over weights that sum to zero")

    magnitude = abs(total)
    exact = [magnitude * w / weight_sum for w in rational_weights]
    parts = [math.floor(value) for value in exact]
    leftover = magnitude - sum(parts)
    # Largest fractional remainder first; equal remainders in input order.
    by_remainder = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for index in by_remainder[:leftover]:
        parts[index] += 1

    sign = -1 if total < 0 else 1
    return [sign * part for part in parts]


def _weight(weight: Decimal) -> Fraction:
    if not weight.is_finite() or weight < 0:
        raise ValueError(f"weights must be finite and non-negative, got {weight}")
    return Fraction(weight)

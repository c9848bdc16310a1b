"""Money at the engine's quantum: exact arithmetic, half-even rounding, integer quanta.

No database, clock or I/O lives anywhere in ``service.royalties``, so every rule can be
tested by hand. Money is ``decimal.Decimal`` throughout and is held at ``QUANTUM`` (6
fractional digits). All intermediate arithmetic runs in an unbounded-precision context
that traps any rounding, so an unexpected loss of precision fails loudly instead of
silently; ``quantize`` is the one place where rounding is intended.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

QUANTUM = Decimal("0.000001")
_QUANTUM_EXPONENT = -6

ONE = Decimal(1)
ZERO = Decimal(0)

# Products and sums of finite decimals are exact given enough digits; trapping Inexact
# turns any would-be rounding into an error rather than a wrong amount. (Division is
# never done in Decimal: apportionment uses integers and fractions.)
EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
# Rounding to QUANTUM is the one place where inexactness is intended.
_ROUNDING = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation])
_QUANTA_PER_UNIT = 1_000_000  # 10 ** -_QUANTUM_EXPONENT
_scaleb = EXACT.scaleb


# --- rounding and quanta -------------------------------------------------------------


def quantize(amount: Decimal) -> Decimal:
    """Round ``amount`` half-even to ``QUANTUM``; zero is always returned unsigned."""
    require_finite(amount, "amount")
    rounded = amount.quantize(QUANTUM, rounding=ROUND_HALF_EVEN, context=_ROUNDING)
    # -0.000000 is a valid Decimal but a confusing amount on a statement.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def to_quanta(amount: Decimal) -> int:
    """Whole number of quanta in ``amount``; it must already be a multiple of QUANTUM."""
    require_finite(amount, "amount")
    # Integer arithmetic on the exact ratio: no decimal context involved.
    numerator, denominator = amount.as_integer_ratio()
    quanta, rest = divmod(numerator * _QUANTA_PER_UNIT, denominator)
    if rest:
        raise ValueError(f"{amount} has more than 6 fractional digits; quantize it first")
    return quanta


def from_quanta(quanta: int) -> Decimal:
    return _scaleb(Decimal(quanta), _QUANTUM_EXPONENT)


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    total = ZERO
    for value in values:
        total = EXACT.add(total, value)
    return total


def require_finite(value: Decimal, name: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, got {value!r}")


def require_count(value: int, name: str) -> None:
    # bool is an int subclass; a True quantity is a bug, not one unit.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")

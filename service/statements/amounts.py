"""How statement amounts are computed and written: exact lines, rounded totals."""

from decimal import ROUND_HALF_EVEN, Context, Decimal

from service.identifiers import minor_units
from service.money import MICRO, normalize

# Enough digits that a rate times a money amount is never rounded.
_WIDE = Context(prec=60, rounding=ROUND_HALF_EVEN)


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` without rounding (a rate times a six-digit amount needs more digits)."""
    return _WIDE.multiply(a, b)


def exact_quotient(a: Decimal, b: int) -> Decimal:
    """``a / b``, rounded half-even to six places only when it does not come out exact."""
    quotient = _WIDE.divide(a, Decimal(b))
    if quotient == quotient.quantize(MICRO):
        return quotient
    return quotient.quantize(MICRO, rounding=ROUND_HALF_EVEN)


def round_minor(amount: Decimal, currency: str) -> Decimal:
    """Half-even to the currency's minor unit (USD 2 places, JPY 0, BHD 3)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_EVEN)


def fmt_exact(amount: Decimal) -> str:
    """An exact amount with at least six fractional digits, never in exponent notation."""
    value = normalize(amount)
    if value.as_tuple().exponent > -6:  # type: ignore[operator]
        value = value.quantize(MICRO)
    if value.is_zero():
        value = abs(value)
    return format(value, "f")


def fmt_minor(amount: Decimal, currency: str) -> str:
    value = round_minor(amount, currency)
    return format(abs(value) if value.is_zero() else value, "f")


def fmt_rate(value: Decimal | None) -> str | None:
    return None if value is None else format(normalize(value), "f")

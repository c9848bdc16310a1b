"""How statement amounts are computed and written: exact lines, rounded totals."""

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Balances:
    """A statement's displayed royalty, payments and balances (minor units) and its exact
    balance. Cumulative rounding: ``closing`` is always ``balance_exact`` rounded
    half-even, and ``royalty`` = ``closing`` - ``opening`` + ``paid``, i.e. the month's
    exact royalty plus the change in the carried sub-minor remainder (|difference| <= one
    minor unit), so that the statement foots and never drifts from the ledger."""

    royalty: Decimal
    paid: Decimal
    closing: Decimal
    balance_exact: Decimal


def cumulative_balances(
    *,
    opening: Decimal,  # the previous statement's closing balance (displayed)
    balance_before: Decimal,  # the previous statement's exact balance
    royalty_exact: Decimal,  # the month's exact royalty (sum of the lines)
    paid_legs: Decimal,  # the month's payment legs: negative, a payment reduces the debt
    currency: str,
) -> Balances:
    balance_exact = balance_before + royalty_exact + paid_legs
    closing = round_minor(balance_exact, currency)
    paid = round_minor(-paid_legs, currency)
    return Balances(closing - opening + paid, paid, closing, balance_exact)


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

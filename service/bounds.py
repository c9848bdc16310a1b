"""Input bounds derived from the columns that store each value, stated in the OpenAPI schema.

Every bound here is the column's own limit (or a little inside it), so a value that passes
validation can always be stored and hashed: a request that would overflow a column is a
422 naming the field, never a database error.

- Money is BIGINT micro-units: |amount| <= 9,223,372,036,854.775807. ``MAX_MONEY`` keeps a
  margin so sums of a few amounts in one leg still fit.
- Rates and shares are NUMERIC(24, 12): fewer than 10^12, at most 12 decimals.
- Timestamps are kept in UTC and bucketed into months: years 1900-2999 only, so converting
  any offset to UTC, or taking the next month, never leaves ``datetime``'s range.

Numbers are also made canonical here (no ``-0``, no exponent surprises, ASCII digits only),
so what is stored, hashed and answered is the same text.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

MAX_MONEY = Decimal("9000000000000")  # < 2^63 micro-units, with a margin
MAX_RATE = Decimal("999999999999")  # NUMERIC(24, 12): 12 integer digits
MONEY_PLACES = 6
RATE_PLACES = 12
FIRST_YEAR, LAST_YEAR = 1900, 2999
# Months the service can book: the same years as timestamps.
PERIOD_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
_ASCII_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _ascii_number(value: Any) -> Any:
    # Decimal("\u0661") is 1: Unicode digits would be stored as ASCII and never match the text
    # the client hashes or reconciles against, so only ASCII digits are numbers here.
    if isinstance(value, str) and not value.isascii():
        raise ValueError("a number is written with ASCII digits")
    return value


def _canonical(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value + 0  # -0 -> 0: the stored integer has no sign of zero


# Validators every decimal input carries: ASCII digits in, canonical Decimal out.
ASCII_NUMBER = BeforeValidator(_ascii_number)
CANONICAL = AfterValidator(_canonical)

# A money amount (BIGINT micro-units): at most 6 decimals, at most MAX_MONEY.
PositiveMoney = Annotated[
    Decimal, Field(gt=0, le=MAX_MONEY, decimal_places=MONEY_PLACES), ASCII_NUMBER, CANONICAL
]
# A rate or share (NUMERIC(24, 12)).
PositiveRate = Annotated[
    Decimal, Field(gt=0, le=MAX_RATE, decimal_places=RATE_PLACES), ASCII_NUMBER, CANONICAL
]
NonNegativeRate = Annotated[
    Decimal, Field(ge=0, le=MAX_RATE, decimal_places=RATE_PLACES), ASCII_NUMBER, CANONICAL
]
Fraction = Annotated[
    Decimal, Field(ge=0, le=1, decimal_places=RATE_PLACES), ASCII_NUMBER, CANONICAL
]
PositiveFraction = Annotated[
    Decimal, Field(gt=0, le=1, decimal_places=RATE_PLACES), ASCII_NUMBER, CANONICAL
]


def _in_range(moment: datetime) -> datetime:
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"must be in the years {FIRST_YEAR}-{LAST_YEAR}") from None
    if not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR}-{LAST_YEAR}")
    return moment


# An instant with an offset, in the years the service books (see module docstring).
Timestamp = Annotated[AwareDatetime, AfterValidator(_in_range)]

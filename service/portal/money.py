"""How the portal writes money: one format per kind of figure, always with the currency.

- ``money``: a statement's totals, balances and payments, and the overview's sums. They
  are in the currency's minor unit (the close rounds them half-even), so they are shown
  at exactly that precision: ``1,234.50 RUB``.
- ``exact``: a line's royalty, commission and net, which the ledger keeps to the
  micro-unit; shown with all six places so that the lines re-add to the statement's
  exact royalty: ``8.444310 RUB``.

The ISO code is written after the number (``RUB``, not a sign) so that ``$`` never stands
for two currencies on one page. Grouping and decimal signs, and percentages, come from
CLDR (babel).
"""

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol

from service.identifiers import minor_units

LOCALE = "en"
_EXACT_PLACES = 6


@lru_cache(maxsize=256)
def _places(currency: str) -> int:
    try:
        return minor_units(currency)
    except ValueError:
        return 2


# CLDR's separators for the locale, read once; the number itself is written by Python's
# own formatting (a 1,000-line page writes 3,000 amounts: babel's pattern engine per
# amount tripled the page's time).
_GROUP = get_group_symbol(LOCALE)
_DECIMAL = get_decimal_symbol(LOCALE)
_SEPARATORS = str.maketrans({",": _GROUP, ".": _DECIMAL})


def _written(value: Decimal, currency: str, places: int, code: bool) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if rounded.is_zero():
        rounded = abs(rounded)  # never "-0.00"
    number = f"{rounded:,.{places}f}".translate(_SEPARATORS)
    # A column whose header names the currency prints the bare number.
    return f"{number}\xa0{currency}" if code else number


def money(value: Decimal | str | None, currency: str, code: bool = True) -> str:
    """A total in the currency's minor unit (half-even), e.g. ``1,234.50 RUB``."""
    if value is None or value == "":
        return "—"
    return _written(Decimal(value), currency, _places(currency), code)


def exact(value: Decimal | str | None, currency: str, code: bool = True) -> str:
    """A line amount to the micro-unit, e.g. ``8.444310 RUB``."""
    if value is None or value == "":
        return "—"
    return _written(Decimal(value), currency, _EXACT_PLACES, code)


def rate(value: Decimal | None) -> str:
    """A commission rate as a percentage with every digit it has, e.g. ``12.5%``."""
    if value is None:
        return "—"
    places = max(0, -int(value.normalize().as_tuple().exponent) - 2)
    pattern = "#,##0" + ("." + "#" * places if places else "") + "%"
    return str(format_percent(value, format=pattern, locale=LOCALE))

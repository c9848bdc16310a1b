"""Identifier and code validation, as pydantic types usable in every schema.

ISRC and ISNI come from python-stdnum, territories and currencies from pycountry/babel.
ISWC and IPI check digits are written by hand because no maintained library covers them.
"""

import re
from functools import lru_cache
from typing import Annotated

import pycountry
from babel.numbers import get_currency_precision
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic.fields import FieldInfo
from stdnum import isni as stdnum_isni
from stdnum import isrc as stdnum_isrc
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_37_36

WORLD = "WORLD"
_ISWC = re.compile(r"^T-?(\d{3})\.?(\d{3})\.?(\d{3})-?(\d)$")
_IPI = re.compile(r"^\d{11}$")
_DPID = re.compile(r"^PADPIDA[0-9A-Z]{10}[0-9A-Z]$")
_DSR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# Memoised (pure functions of the text; a refusal raises and is not cached): a sales batch
# names the same few recordings, territories and currencies again and again, and
# python-stdnum's cleaning walks every character (~19 µs an ISRC).
@lru_cache(maxsize=65_536)
def normalize_isrc(value: str) -> str:
    """``CC-XXX-YY-NNNNN`` with or without hyphens -> ``CCXXXYYNNNNN``."""
    try:
        return str(stdnum_isrc.validate(value.upper()))
    except StdnumError as exc:
        raise ValueError(f"not a valid ISRC: {value!r} ({exc})") from None


def iswc_check_digit(digits: str) -> int:
    # ISO 15707: S = 1 + sum(i * d_i), check = (10 - S mod 10) mod 10.
    total = 1 + sum(i * int(d) for i, d in enumerate(digits, start=1))
    return (10 - total % 10) % 10


def normalize_iswc(value: str) -> str:
    """Accepts ``T0345246801`` or ``T-034.524.680-1``; stores the dotted form."""
    match = _ISWC.match(value.upper())
    if not match:
        raise ValueError(f"not an ISWC (T-ddd.ddd.ddd-c): {value!r}")
    digits = "".join(match.groups()[:3])
    check = int(match.group(4))
    if iswc_check_digit(digits) != check:
        raise ValueError(f"ISWC check digit does not match: {value!r}")
    return f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{check}"


def ipi_check(number: str) -> int:
    # CISAC IPI name number: weights 10..2 over the first nine digits, mod 101.
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True)) % 101
    return 0 if total == 0 else (101 - total) % 100


def normalize_ipi(value: str) -> str:
    number = value.replace(" ", "").replace(".", "")
    if not _IPI.match(number):
        raise ValueError(f"an IPI name number has 11 digits: {value!r}")
    if ipi_check(number) != int(number[9:]):
        raise ValueError(f"IPI check digits do not match: {value!r}")
    return number


def normalize_isni(value: str) -> str:
    try:
        return str(stdnum_isni.validate(value))
    except StdnumError as exc:
        raise ValueError(f"not a valid ISNI: {value!r} ({exc})") from None


@lru_cache(maxsize=1024)
def normalize_country(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"not an ISO 3166-1 alpha-2 country: {value!r}")
    return code


def normalize_territory(value: str) -> str:
    return WORLD if value.upper() == WORLD else normalize_country(value)


@lru_cache(maxsize=1024)
def normalize_currency(value: str) -> str:
    code = value.upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"not an ISO 4217 currency: {value!r}")
    return code


def minor_units(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (JPY 0, USD 2, BHD 3)."""
    return int(get_currency_precision(currency))


_pre = BeforeValidator(_strip)


def normalize_dpid(value: str) -> str:
    """A DDEX Party ID: ``PADPIDA`` + 10 characters + a check character.

    The check character is ISO 7064 MOD 37,36 over the 17 characters before it (stated for
    DPIDs by no DDEX page we could read; confirmed on published DPIDs, e.g. Spotify's
    ``PADPIDA2011072101T`` and Apple's ``PADPIDA2007040502I``).
    """
    upper = value.upper()
    if not _DPID.match(upper):
        raise ValueError(f"not a DDEX Party ID: {value!r} (PADPIDA + 10 characters + check)")
    if not mod_37_36.is_valid(upper):
        raise ValueError(f"not a DDEX Party ID: {value!r} (wrong check character)")
    return upper


def normalize_dsr_name(value: str) -> str:
    # DSR Part 1 8.1: a file-name element has no space; `_` separates the elements.
    if not _DSR_NAME.match(value):
        raise ValueError(
            f"not a DSR party name: {value!r} (letters, digits, '.', '-'; no spaces or '_')"
        )
    return value


# The JSON schema's `pattern` of each: every spelling the validator accepts (surrounding
# spaces, lower case, the separators it drops), so the contract neither promises more nor
# refuses what the server takes; check digits and code lists are the validator's alone.
_S = r"\s*"


def _spelled(pattern: str, example: str) -> FieldInfo:
    info: FieldInfo = Field(
        examples=[example], json_schema_extra={"pattern": f"^{_S}{pattern}{_S}$"}
    )
    return info


ISRC_SPELLING = r"[ -]*(?:[A-Za-z][ -]*){2}(?:[A-Za-z0-9][ -]*){3}(?:[0-9][ -]*){7}"
ISWC_SPELLING = r"[Tt]-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]"
ISRC = Annotated[str, _pre, AfterValidator(normalize_isrc), _spelled(ISRC_SPELLING, "RUA010600001")]
ISWC = Annotated[
    str, _pre, AfterValidator(normalize_iswc), _spelled(ISWC_SPELLING, "T-034.524.680-1")
]
IPI = Annotated[
    str, _pre, AfterValidator(normalize_ipi), _spelled(r"[ .]*(?:[0-9][ .]*){11}", "00033188001")
]
ISNI = Annotated[
    str,
    _pre,
    AfterValidator(normalize_isni),
    _spelled(r"[ -]*(?:[0-9][ -]*){15}[0-9Xx][ -]*", "0000000121032683"),
]
Country = Annotated[str, _pre, AfterValidator(normalize_country), _spelled("[A-Za-z]{2}", "RU")]
Territory = Annotated[
    str,
    _pre,
    AfterValidator(normalize_territory),
    _spelled("(?:[A-Za-z]{2}|[Ww][Oo][Rr][Ll][Dd])", "RU"),
]
Currency = Annotated[str, _pre, AfterValidator(normalize_currency), _spelled("[A-Za-z]{3}", "USD")]
DPID = Annotated[
    str,
    _pre,
    AfterValidator(normalize_dpid),
    _spelled("[Pp][Aa][Dd][Pp][Ii][Dd][Aa][0-9A-Za-z]{11}", "PADPIDA2011072101T"),
]
DsrName = Annotated[
    str,
    _pre,
    AfterValidator(normalize_dsr_name),
    _spelled("[A-Za-z0-9][A-Za-z0-9.-]{0,63}", "ROMS"),
]

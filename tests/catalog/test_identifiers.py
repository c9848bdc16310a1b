"""Identifier validation: library-backed (ISRC, ISNI) and hand-written (ISWC, IPI)."""

import pytest

from service.identifiers import (
    iswc_check_digit,
    minor_units,
    normalize_currency,
    normalize_ipi,
    normalize_isni,
    normalize_isrc,
    normalize_iswc,
    normalize_territory,
)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("RU-A01-06-00001", "RUA010600001"),
        ("rua010600001", "RUA010600001"),
        ("USRC17607839", "USRC17607839"),
    ],
)
def test_valid_isrc_is_stored_without_hyphens(raw: str, stored: str) -> None:
    assert normalize_isrc(raw) == stored


@pytest.mark.parametrize("raw", ["RUA0106000", "RU-A01-06-0000X", "12A010600001", ""])
def test_invalid_isrc_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="ISRC"):
        normalize_isrc(raw)


def test_iswc_check_digit_follows_the_standard() -> None:
    # S = 1 + 1*0 + 2*3 + 3*4 + 4*5 + 5*2 + 6*4 + 7*6 + 8*8 + 9*0 = 179 -> (10 - 9) % 10 = 1
    assert iswc_check_digit("034524680") == 1


@pytest.mark.parametrize("raw", ["T-034.524.680-1", "T0345246801", "t-034.524.680-1"])
def test_valid_iswc_is_stored_dotted(raw: str) -> None:
    assert normalize_iswc(raw) == "T-034.524.680-1"


@pytest.mark.parametrize("raw", ["T-034.524.680-2", "T-034.524.68-1", "034.524.680-1"])
def test_invalid_iswc_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="ISWC"):
        normalize_iswc(raw)


def test_ipi_mod_101() -> None:
    assert normalize_ipi("00033188001") == "00033188001"
    with pytest.raises(ValueError, match="check digits"):
        normalize_ipi("00033188002")
    with pytest.raises(ValueError, match="11 digits"):
        normalize_ipi("3318800")


def test_isni_mod_11_2() -> None:
    assert normalize_isni("0000 0001 2103 2683") == "0000000121032683"
    with pytest.raises(ValueError, match="ISNI"):
        normalize_isni("0000000121032684")


def test_territories_and_currencies() -> None:
    assert normalize_territory("world") == "WORLD"
    assert normalize_territory("ru") == "RU"
    with pytest.raises(ValueError):
        normalize_territory("XX")
    assert normalize_currency("rub") == "RUB"
    with pytest.raises(ValueError):
        normalize_currency("XYZ")


def test_minor_units_come_from_the_currency_table() -> None:
    assert (minor_units("USD"), minor_units("JPY"), minor_units("BHD")) == (2, 0, 3)

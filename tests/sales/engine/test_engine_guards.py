"""Guards the mutation run (issue #9) found untested in the royalty engine: splitting over
zero weights, share bounds, and the FX rate's sanity checks."""

from decimal import Decimal

import pytest

from service.sales.pricing.engine.allocation import largest_remainder
from service.sales.pricing.engine.engine import TariffTerms, unit_royalty
from service.sales.pricing.engine.routing import ShareClaim

D = Decimal
PER_UNIT_USD = TariffTerms("mechanical", "USD", None, D("0.091"), None)


def test_zero_weights_split_only_a_zero_total() -> None:
    assert largest_remainder(0, [D(0), D(0), D(0)]) == [0, 0, 0]
    with pytest.raises(ValueError, match="sum to zero"):
        largest_remainder(5, [D(0), D(0)])
    with pytest.raises(ValueError, match="sum to zero"):
        largest_remainder(-1, [D(0)])


@pytest.mark.parametrize("share", [D("0"), D("0.5"), D("1")])
def test_a_share_from_zero_to_one_is_accepted(share: Decimal) -> None:
    assert ShareClaim("h", share).share == share


@pytest.mark.parametrize("share", [D("1.000001"), D("1.5"), D("2"), D("-0.000001")])
def test_a_share_outside_zero_to_one_is_refused(share: Decimal) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        ShareClaim("h", share)


def test_a_fixed_amount_converts_at_the_given_rate() -> None:
    owed = unit_royalty(
        PER_UNIT_USD, unit_price=D("1"), duration_s=None, fx_rate=D("26.7"), sale_currency="RUB"
    )
    assert owed == D("2.4297")  # 0.091 USD x 26.7 RUB/USD, exact


@pytest.mark.parametrize("rate", [D("0"), D("-26.7")])
def test_a_rate_that_is_not_positive_is_refused(rate: Decimal) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        unit_royalty(
            PER_UNIT_USD, unit_price=D("1"), duration_s=None, fx_rate=rate, sale_currency="RUB"
        )


def test_a_rate_other_than_one_for_a_same_currency_sale_is_refused() -> None:
    with pytest.raises(ValueError, match="same-currency"):
        unit_royalty(
            PER_UNIT_USD, unit_price=D("1"), duration_s=None, fx_rate=D("2"), sale_currency="USD"
        )
    same = unit_royalty(
        PER_UNIT_USD, unit_price=D("1"), duration_s=None, fx_rate=D("1"), sale_currency="USD"
    )
    assert same == D("0.091")

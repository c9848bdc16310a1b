"""No drift (issue 11): every statement foots and its closing balance is the ledger's exact
balance rounded half-even, month after month (cumulative rounding)."""

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from service.ledger.periods import latest_closed, next_period
from service.ledger.service import Leg
from service.statements.amounts import cumulative_balances
from tests.factories import Api, isrc
from tests.statements.conftest import Ledger, Sale, Share, Statements

MONTHS = 36
MICRO = Decimal("0.000001")
# A sale's royalty in micro-units: sub-cent amounts are where rounding drifts.
royalties = st.integers(min_value=1, max_value=9_999_999).map(lambda n: Decimal(n) * MICRO)
month = st.fixed_dictionaries(
    {
        "sales": st.lists(royalties, max_size=4),
        "refunds": st.lists(royalties, max_size=2),
        "payment": st.none() | st.integers(min_value=1, max_value=2_000),  # minor units
    }
)


def _half_even(amount: Decimal, places: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([("USD", 2), ("JPY", 0), ("BHD", 3)]),
    st.lists(month, min_size=MONTHS, max_size=MONTHS),
)
def test_the_close_arithmetic_never_drifts(
    currency: tuple[str, int], months: list[dict[str, Any]]
) -> None:
    code, places = currency
    opening = balance = Decimal(0)
    for m in months:
        exact = sum(m["sales"], Decimal(0)) - sum(m["refunds"], Decimal(0))
        paid = Decimal(m["payment"] or 0).scaleb(-places)
        row = cumulative_balances(
            opening=opening, balance_before=balance, royalty_exact=exact, paid_legs=-paid,
            currency=code,
        )  # fmt: skip
        assert opening + row.royalty - row.paid == row.closing  # the statement foots
        assert row.closing == _half_even(row.balance_exact, places)  # and never drifts
        assert row.balance_exact == balance + exact - paid
        assert abs(row.royalty - exact) <= Decimal(1).scaleb(-places)
        opening, balance = row.closing, row.balance_exact


def _pay(ledger: Ledger, period: str, party: str, amount: Decimal) -> None:
    legs = [Leg(party, "USD", -amount), Leg("cash", "USD", amount)]
    ledger.post(period, legs, kind="payment")


@settings(
    max_examples=1,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(month, min_size=MONTHS, max_size=MONTHS))
def test_36_closed_months_foot_and_match_the_ledger(
    api: Api, ledger: Ledger, statements: Statements, session: Session, months: list[dict[str, Any]]
) -> None:
    society = api.society(currency="USD")["code"]  # a fresh party for each example
    party = f"society:{society}"
    period = next_period(latest_closed(session) or "2000-12")
    for m in months:
        for amount in m["sales"]:
            part = Share(party, str(amount), holder_id=None, society_code=society)
            ledger.sale(period, Sale("shop", "USD", isrc(), "RU", 1, "10", [part]))
        for amount in m["refunds"]:
            part = Share(party, str(amount), holder_id=None, society_code=society)
            ledger.refund(period, Sale("shop", "USD", isrc(), "RU", 1, "10", [part]))
        if m["payment"]:
            _pay(ledger, period, party, Decimal(m["payment"]).scaleb(-2))
        statements.close(period)
        found = statements.list(party=party, period=period)
        for st_ in found:
            opening, closing = Decimal(st_["opening_balance"]), Decimal(st_["closing_balance"])
            royalty, paid = Decimal(st_["totals"]["royalty"]), Decimal(st_["payments"])
            assert opening + royalty - paid == closing, (period, st_)
            assert closing == _half_even(Decimal(st_["balance_exact"]), 2), (period, st_)
        period = next_period(period)

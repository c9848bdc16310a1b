"""Closing a month: order, idempotency, freezing, FX conversion at close, booking rule."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from service.ledger.periods import booking_periods
from service.ledger.service import head
from service.timeutil import period_of, utcnow
from tests.factories import Api, isrc
from tests.statements.conftest import Ledger, Sale, Share, Statements


def _society_sale(code: str, amount: str, *, currency: str = "RUB", territory: str = "RU") -> Sale:
    store = "shop"
    return Sale(
        store=store,
        currency=currency,
        isrc=isrc(),
        territory=territory,
        units=1,
        unit_price="10",
        parts=[Share(f"society:{code}", amount, holder_id=None, society_code=code)],
    )


@pytest.fixture
def roms(api: Api) -> str:
    api.store(code="shop")
    return str(api.society(currency="RUB")["code"])


def test_a_month_that_has_not_ended_cannot_be_closed(statements: Statements) -> None:
    current = period_of(utcnow())
    problem = statements.close(current, expect=409).json()
    assert problem["code"] == "period_not_ended"
    assert problem["period"] == current
    assert statements.period(current)["status"] == "open"


def test_months_close_in_order_and_a_repeat_returns_the_same_result(
    statements: Statements, ledger: Ledger, roms: str
) -> None:
    ledger.sale("2006-10", _society_sale(roms, "1.5"))
    ledger.sale("2006-11", _society_sale(roms, "2.25"))

    problem = statements.close("2006-11", expect=409).json()
    assert problem["code"] == "earlier_period_open"
    assert problem["period"] == "2006-10"
    assert "2006-10" in problem["detail"]

    first = statements.close("2006-10", expect=201).json()
    assert first["status"] == "closed" and first["statement_count"] == 1
    again = statements.close("2006-10", expect=200).json()
    assert again == first
    november = statements.close("2006-11", expect=201).json()
    # Closing RUB sales for a RUB society posts nothing: both closes freeze the same head,
    # the second sale's transaction.
    chain_head = statements.api.get("/v1/ledger/head").json()
    assert chain_head["sequence"] == 2
    assert first["ledger_head"] == november["ledger_head"] == chain_head
    # Listed by id (random), so compared as a set of months.
    periods = [s["period"] for s in statements.list(party=f"society:{roms}")]
    assert sorted(periods) == ["2006-10", "2006-11"]


def test_a_month_without_entries_closes_empty_and_skipped_months_are_frozen(
    statements: Statements, ledger: Ledger, roms: str
) -> None:
    ledger.sale("2006-12", _society_sale(roms, "1"))
    assert statements.close("2006-09", expect=201).json()["statement_count"] == 0
    statements.close("2006-12", expect=201)  # October and November had no entries
    skipped = statements.period("2006-10")
    assert skipped["status"] == "closed"
    assert statements.close("2006-11", expect=200).json()["status"] == "closed"
    assert statements.period("2007-01")["status"] == "open"


def test_later_entries_of_a_closed_month_go_to_the_oldest_open_month(
    session: Session, statements: Statements, ledger: Ledger, roms: str
) -> None:
    ledger.sale("2006-11", _society_sale(roms, "1"))
    assert booking_periods(session=session, periods=["2006-11"]) == {"2006-11": ("2006-11", False)}
    statements.close("2006-11")
    booked = booking_periods(session=session, periods=["2006-10", "2006-11", "2006-12", "2007-02"])
    assert booked == {
        "2006-10": ("2006-12", True),
        "2006-11": ("2006-12", True),
        "2006-12": ("2006-12", False),
        "2007-02": ("2007-02", False),
    }


def test_a_missing_rate_names_the_pairs_and_writes_nothing(
    session: Session, api: Api, statements: Statements, ledger: Ledger, roms: str
) -> None:
    ledger.sale("2006-11", _society_sale(roms, "0.10", currency="USD", territory="US"))
    ledger.sale("2006-11", _society_sale(roms, "0.20", currency="EUR", territory="DE"))
    before = head(session=session)

    problem = statements.close("2006-11", expect=409).json()
    assert problem["code"] == "missing_fx_rate"
    assert {(p["from"], p["to"]) for p in problem["pairs"]} == {("EUR", "RUB"), ("USD", "RUB")}
    assert "EUR/RUB" in problem["detail"] and "USD/RUB" in problem["detail"]
    session.expire_all()
    assert head(session=session) == before
    assert statements.period("2006-11")["status"] == "open"
    assert statements.list(period="2006-11") == []

    api.fx("2006-11-30", "USD", "RUB", "26.5")
    api.fx("2006-11-01", "RUB", "EUR", "0.03")  # only the inverse pair is known
    closed = statements.close("2006-11").json()
    assert closed["fx_transactions"] == 2
    statement = statements.of(f"society:{roms}", "2006-11")
    detail = statements.detail(statement["id"])
    # 0.10 USD * 26.5 = 2.65 RUB; 0.20 EUR / 0.03 = 6.666666666667 -> 6.666667 RUB (half-even)
    assert sorted(Decimal(line["royalty"]) for line in detail["lines"]) == [
        Decimal("2.65"),
        Decimal("6.666667"),
    ]
    assert statement["totals"]["royalty"] == "9.32"
    recon = {r["currency"]: r for r in closed["reconciliation"]}
    assert recon["USD"]["recorded"] == "0.100000" and recon["USD"]["converted"] == "-0.100000"
    assert recon["RUB"]["converted"] == "9.316667"
    assert recon["RUB"]["on_statements"] == "9.316667"
    assert all(r["balanced"] and Decimal(r["difference"]) == 0 for r in recon.values())


def test_closed_rows_are_frozen_by_the_database(
    connection: sa.Connection, statements: Statements, ledger: Ledger, roms: str
) -> None:
    ledger.sale("2006-11", _society_sale(roms, "1"))
    statements.close("2006-11")
    # The DSR file's usage rows and both ETags are written on first request; then frozen.
    statement = statements.of(f"society:{roms}", "2006-11")
    for kwargs in ({"params": {"format": "dsr"}}, {"headers": {"Accept": "text/csv"}}):
        assert statements.get(statement["id"], **kwargs).status_code == 200
    for sql in (
        "UPDATE statement_line SET royalty = 0",
        "DELETE FROM statement_usage",
        "UPDATE statement_usage SET royalty = 0",
        "UPDATE statement_etag SET sha256 = 'x'",
        "DELETE FROM statement_etag",
        "UPDATE statement SET royalty = 0",
        "DELETE FROM statement",
        "UPDATE period_close SET statement_count = 0",
    ):
        savepoint = connection.begin_nested()
        with pytest.raises(sa.exc.DatabaseError):
            connection.exec_driver_sql(sql)
        savepoint.rollback()

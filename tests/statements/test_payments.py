"""Payments and balances: ledger transactions, idempotency, carried-forward balances."""

from decimal import Decimal

from sqlmodel import Session

from service.ledger.service import balances
from tests.factories import Api, isrc
from tests.statements.conftest import Ledger, Sale, Share, Statements


def _sale(code: str, amount: str) -> Sale:
    part = Share(f"society:{code}", amount, "mechanical", None, code, False, None)
    return Sale("shop", "RUB", isrc(), "RU", 1, "10", [part])


def _payment(code: str, amount: str, reference: str, **overrides: str) -> dict[str, str]:
    body = {
        "party": f"society:{code}",
        "amount": amount,
        "currency": "RUB",
        "paid_at": "2006-12-05T10:00:00Z",
        "reference": reference,
    }
    return {**body, **overrides}


def test_a_payment_is_a_ledger_transaction_and_idempotent_on_reference(
    api: Api, session: Session, statements: Statements
) -> None:
    code = api.society(currency="RUB")["code"]
    created = statements.pay(**_payment(code, "100.50", "wire-1")).json()
    assert created["amount"] == "100.50" and created["period"] == "2006-12"
    assert created["adjustment"] is False
    replay = statements.pay(expect=200, **_payment(code, "100.50", "wire-1")).json()
    assert replay == created
    conflict = statements.pay(expect=409, **_payment(code, "100.51", "wire-1")).json()
    assert conflict["code"] == "conflict" and conflict["payment_id"] == created["id"]
    session.expire_all()
    assert balances(session=session, account=f"society:{code}") == {"RUB": Decimal("-100.5")}
    # The test's database starts empty, so this payment is all the cash there is.
    assert balances(session=session, account="cash") == {"RUB": Decimal("100.5")}
    listed = api.get("/v1/payments", party=f"society:{code}").json()["data"]
    assert [p["id"] for p in listed] == [created["id"]]
    own = api.key("society", code)
    assert api.get(f"/v1/payments/{created['id']}", token=own).status_code == 200
    other = api.key("society", api.society()["code"])
    assert api.get(f"/v1/payments/{created['id']}", token=other).status_code == 404


def test_a_rejected_payment_writes_nothing(api: Api, statements: Statements) -> None:
    code = api.society(currency="RUB")["code"]
    for body, field in (
        (_payment(code, "1.001", "p1"), "amount"),
        (_payment(code, "1", "p2", currency="USD"), "currency"),
        (_payment("NOPE", "1", "p3"), "party"),
        (_payment(code, "1", "p4", paid_at="2999-01-01T00:00:00Z"), "paid_at"),
        (_payment(code, "-1", "p5"), "amount"),
        (_payment(code, "1", "p6", party="store:shop"), "party"),
    ):
        problem = statements.pay(expect=422, **body).json()
        assert field in str(problem["errors"]), problem
    assert api.get("/v1/payments").json()["data"] == []
    assert api.get("/v1/balances", party=f"society:{code}").json()["balances"] == []


def test_balances_carry_forward_and_a_threshold_holds_small_payouts(
    api: Api, ledger: Ledger, statements: Statements
) -> None:
    api.store(code="shop")
    code = api.society(currency="RUB", payout_threshold="10")["code"]
    party = f"society:{code}"
    ledger.sale("2006-10", _sale(code, "6.004"))
    statements.close("2006-10")
    october = statements.of(party, "2006-10")
    assert october["totals"]["royalty"] == "6.00"
    assert (october["opening_balance"], october["closing_balance"]) == ("0.00", "6.00")
    assert october["payable"] is False  # below the threshold: carried forward

    ledger.sale("2006-11", _sale(code, "7"))
    statements.pay(**_payment(code, "5.00", "w-nov", paid_at="2006-11-20T00:00:00Z"))
    statements.close("2006-11")
    november = statements.of(party, "2006-11")
    assert november["opening_balance"] == "6.00"
    assert november["payments"] == "5.00"
    assert november["closing_balance"] == "8.00"  # 6.00 + 7.00 - 5.00
    assert november["payable"] is False

    # Paid late: dated in the closed November, it lands in December as an adjustment.
    late = statements.pay(**_payment(code, "2.00", "w-late", paid_at="2006-11-25T00:00:00Z"))
    assert (late.json()["period"], late.json()["adjustment"]) == ("2006-12", True)
    ledger.sale("2006-12", _sale(code, "9"))
    statements.close("2006-12")
    december = statements.of(party, "2006-12")
    assert december["opening_balance"] == "8.00"
    assert december["payments"] == "2.00"
    assert december["closing_balance"] == "15.00"
    assert december["payable"] is True
    assert december["balance_exact"] == "15.004000"
    for s in (october, november, december):
        assert Decimal(s["opening_balance"]) + Decimal(s["totals"]["royalty"]) - Decimal(
            s["payments"]
        ) == Decimal(s["closing_balance"])


def test_a_month_with_only_a_payment_gets_a_statement(
    api: Api, ledger: Ledger, statements: Statements
) -> None:
    api.store(code="shop")
    code = api.society(currency="RUB")["code"]
    ledger.sale("2006-10", _sale(code, "3"))
    statements.close("2006-10")
    statements.pay(**_payment(code, "3.00", "settle", paid_at="2006-11-02T00:00:00Z"))
    statements.close("2006-11")
    november = statements.of(f"society:{code}", "2006-11")
    assert november["line_count"] == 0
    assert (november["opening_balance"], november["payments"]) == ("3.00", "3.00")
    assert (november["closing_balance"], november["payable"]) == ("0.00", False)

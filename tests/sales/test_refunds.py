"""Refunds reverse exactly the refunded units' royalties; never more units than sold."""

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale, balance, counts

D = Decimal
THIRD = "0.333333"


@pytest.fixture
def thirds(api: Api) -> dict[str, Any]:
    """Three labels paid directly in DE, a third each (0.000001 unclaimed): awkward cents."""
    labels = [api.holder(kind="label")["id"] for _ in range(3)]
    code = isrc()
    api.recording(code, [share(label, "neighbouring", THIRD) for label in labels])
    api.tariff(territory="DE", right_type="neighbouring", currency="EUR", percent_of_gross="0.15")
    return {"isrc": code, "labels": labels}


def parties(thirds: dict[str, Any], store: Store) -> list[str]:
    return [f"holder:{label}" for label in thirds["labels"]] + [f"store:{store.code}"]


def refund(refund_id: str, quantity: int, at: str = "2006-11-20T00:00:00Z") -> dict[str, Any]:
    return {"refund_id": refund_id, "quantity": quantity, "refunded_at": at}


def test_partial_refunds_summing_to_the_sale_negate_it_exactly(
    store: Store, api: Api, thirds: dict[str, Any], session: Session
) -> None:
    sale = a_sale(thirds["isrc"], territory="DE", quantity=7, unit_price="0.99", currency="EUR")
    recorded = store.one(sale)
    # 7 x 0.99 x 15% = 1.0395, a third each is 0.3465 (0.3464986.. rounded by the largest
    # remainder; the 0.000001 share left unclaimed gets the last quantum or nothing).
    sold = {e["holder_id"]: D(e["amount"]) for e in recorded["royalties"]}
    assert sum(sold.values()) == D("1.0395")
    assert balance(api, f"store:{store.code}", "EUR") == D("-1.0395")

    parts = [store.refund(sale["sale_id"], refund(f"r-{n}", q)) for n, q in enumerate((2, 3, 2))]

    # 2 units: 0.297 royalty; 3 more: 0.4455; the last 2: 0.297.
    assert [-sum(D(e["amount"]) for e in p["royalties"]) for p in parts] == [
        D("0.297"),
        D("0.4455"),
        D("0.297"),
    ]
    for party in parties(thirds, store):
        assert balance(api, party, "EUR") == 0, party
    for label in thirds["labels"]:
        reversed_ = sum(
            D(e["amount"]) for p in parts for e in p["royalties"] if e["holder_id"] == label
        )
        assert reversed_ == -sold.get(label, D(0))
    assert all(D(e["amount"]) < 0 for p in parts for e in p["royalties"])
    detail = store.get(f"/v1/sales/{sale['sale_id']}").json()
    assert detail["refunded_quantity"] == 7
    assert [r["refund_id"] for r in detail["refunds"]] == ["r-0", "r-1", "r-2"]
    assert detail["refunds"][1]["royalties"] == parts[1]["royalties"]


def test_full_refund_in_one_go(store: Store, api: Api, thirds: dict[str, Any]) -> None:
    sale = a_sale(thirds["isrc"], territory="DE", quantity=3, unit_price="1.29", currency="EUR")
    recorded = store.one(sale)
    done = store.refund(sale["sale_id"], refund("all", 3))
    assert sorted(D(e["amount"]) for e in done["royalties"]) == sorted(
        -D(e["amount"]) for e in recorded["royalties"]
    )
    for party in parties(thirds, store):
        assert balance(api, party, "EUR") == 0


def test_over_refund_is_refused_and_leaves_no_trace(
    store: Store, thirds: dict[str, Any], session: Session
) -> None:
    sale = a_sale(thirds["isrc"], territory="DE", quantity=2, currency="EUR")
    store.one(sale)
    store.refund(sale["sale_id"], refund("r-1", 1))
    before = counts(session)

    response = store.client.post(
        f"/v1/sales/{sale['sale_id']}/refunds", json=refund("r-2", 2), headers=store.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "refund_exceeds_sale"
    assert (response.json()["sold"], response.json()["refunded"]) == (2, 1)
    assert counts(session) == before


def test_refund_replay_and_conflict(store: Store, thirds: dict[str, Any], session: Session) -> None:
    first_sale = a_sale(thirds["isrc"], territory="DE", quantity=3, currency="EUR")
    second_sale = a_sale(thirds["isrc"], territory="DE", currency="EUR")
    store.batch([first_sale, second_sale])
    first = store.refund(first_sale["sale_id"], refund("r-1", 1))
    before = counts(session)

    # The last unit refunded, then replayed: the replay must not trip the over-refund check.
    assert store.refund(first_sale["sale_id"], refund("r-1", 1), expect=200) == first
    for body, sale_id in (
        (refund("r-1", 2), first_sale["sale_id"]),
        (refund("r-1", 1, "2006-11-21T00:00:00Z"), first_sale["sale_id"]),
        (refund("r-1", 1), second_sale["sale_id"]),
    ):
        response = store.client.post(
            f"/v1/sales/{sale_id}/refunds", json=body, headers=store.headers
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "conflict"
    assert counts(session) == before


@pytest.mark.parametrize(
    ("refunded_at", "quantity"),
    [("2006-11-02T00:00:00Z", 1), ("2999-01-01T00:00:00Z", 1), ("2006-11-20T00:00:00Z", 0)],
)
def test_invalid_refunds(
    store: Store, thirds: dict[str, Any], session: Session, refunded_at: str, quantity: int
) -> None:
    sale = a_sale(thirds["isrc"], territory="DE", currency="EUR")
    store.one(sale)
    before = counts(session)
    response = store.client.post(
        f"/v1/sales/{sale['sale_id']}/refunds",
        json=refund("r", quantity, refunded_at),
        headers=store.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert counts(session) == before


def test_unknown_sale_is_404(store: Store) -> None:
    response = store.client.post(
        "/v1/sales/nope/refunds", json=refund("r", 1), headers=store.headers
    )
    assert response.status_code == 404


def test_refund_is_booked_in_its_own_month(
    store: Store, thirds: dict[str, Any], session: Session
) -> None:
    sale = a_sale(thirds["isrc"], territory="DE", currency="EUR")
    store.one(sale)
    store.refund(sale["sale_id"], refund("dec", 1, "2006-12-02T00:00:00Z"))
    rows = session.execute(
        sa.text("SELECT kind, period FROM ledger_transaction WHERE reference LIKE :r"),
        {"r": f"%:{store.code}/%"},
    ).all()
    assert sorted(tuple(r) for r in rows) == [("refund", "2006-12"), ("sale", "2006-11")]

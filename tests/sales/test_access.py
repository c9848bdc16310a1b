"""Who may post and read which sales; withdrawn and unlicensed; listing filters."""

from collections.abc import Sequence
from typing import Any

import pytest
from sqlmodel import Session

import service.sales.recording as sales_recording
from service.takedowns.service import SaleAsset
from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale, counts


@pytest.fixture
def recording(api: Api) -> str:
    holder = api.holder()["id"]
    code = isrc()
    api.recording(code, [share(holder, "neighbouring", "1")])
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    return code


def test_unlicensed_when_no_tariff_of_any_right_type(
    store: Store, api: Api, recording: str, session: Session
) -> None:
    before = counts(session)
    # RU has a tariff only from 2000-01-01: a sale in 1999 is not covered.
    response = store.post(a_sale(recording, sold_at="1999-12-31T23:59:59Z"))
    assert response.status_code == 451
    assert response.json()["code"] == "unlicensed"
    # US has no tariff at all.
    result = store.batch([a_sale(recording, territory="US")])["results"][0]
    assert result["error"]["code"] == "unlicensed"
    assert counts(session) == before


def test_withdrawn_is_checked_once_per_batch(
    store: Store, recording: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[SaleAsset]] = []

    def withdrawn(*, session: Session, sales: Sequence[SaleAsset]) -> dict[int, str]:
        calls.append(list(sales))
        return {i: "td-1" for i, sale in enumerate(sales) if sale.territory == "RU"}

    monkeypatch.setattr(sales_recording, "withdrawn_sales", withdrawn)
    before = counts(session)
    body = store.batch([a_sale(recording), a_sale(recording, territory="GB"), a_sale(recording)])
    assert len(calls) == 1 and len(calls[0]) == 3
    assert calls[0][0] == SaleAsset(recording, None, "RU", calls[0][0].sold_at)
    codes = [(r["error"] or {}).get("code") for r in body["results"]]
    assert codes == ["withdrawn", "unlicensed", "withdrawn"]
    assert body["results"][0]["error"]["takedown_id"] == "td-1"

    bare = store.post(a_sale(recording))
    assert bare.status_code == 451
    assert (bare.json()["code"], bare.json()["takedown_id"]) == ("withdrawn", "td-1")
    assert counts(session) == before


def test_replays_are_not_re_checked_against_takedowns(
    store: Store, recording: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale = a_sale(recording)
    first = store.one(sale)
    monkeypatch.setattr(
        sales_recording,
        "withdrawn_sales",
        lambda *, session, sales: dict.fromkeys(range(len(sales)), "td"),
    )
    assert store.one(sale, expect=200) == {**first, "status": "duplicate"}


def test_roles_and_other_stores(store: Store, other_store: Store, api: Api, recording: str) -> None:
    sale = a_sale(recording)
    store.one(sale)
    society = api.society()["code"]
    society_headers = {"Authorization": f"Bearer {api.key('society', society)}"}

    assert store.client.post("/v1/sales", json=sale, headers=society_headers).status_code == 403
    assert store.client.get("/v1/sales", headers=society_headers).status_code == 403
    assert store.client.post("/v1/sales", json=sale).status_code == 401
    # Another store's sale does not exist for you.
    assert other_store.get(f"/v1/sales/{sale['sale_id']}").status_code == 404
    refund = {"refund_id": "r-1", "quantity": 1, "refunded_at": "2006-11-04T00:00:00Z"}
    other = other_store.client.post(
        f"/v1/sales/{sale['sale_id']}/refunds", json=refund, headers=other_store.headers
    )
    assert other.status_code == 404
    assert other_store.get("/v1/sales").json()["data"] == []


def test_admin_acts_for_a_named_store(store: Store, api: Api, recording: str) -> None:
    sale = a_sale(recording)
    missing = api.client.post("/v1/sales", json=sale, headers=api.admin)
    assert missing.status_code == 422
    posted = api.client.post(
        "/v1/sales", json=sale, headers=api.admin, params={"store": store.code}
    )
    assert posted.status_code == 201, posted.text
    assert store.get(f"/v1/sales/{sale['sale_id']}").status_code == 200
    assert api.get(f"/v1/sales/{sale['sale_id']}", store=store.code).status_code == 200
    assert api.get(f"/v1/sales/{sale['sale_id']}").status_code == 422


def test_listing_filters_and_pages(
    store: Store, other_store: Store, api: Api, recording: str
) -> None:
    second = isrc()
    api.recording(second, [])
    mine = [
        a_sale(recording),
        a_sale(recording, sold_at="2006-12-01T00:00:00Z"),
        a_sale(second, territory="RU"),
    ]
    store.batch(mine)
    other_store.batch([a_sale(recording)])

    def ids(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [s["sale_id"] for s in response.json()["data"]]

    # Listed in the order recorded; a batch inserts its rows in sale_id order (recording.py:
    # racing batches must lock in one order), so "o-100" comes before "o-99".
    in_order = sorted(s["sale_id"] for s in mine)
    assert ids(store.get("/v1/sales")) == in_order
    assert ids(store.get("/v1/sales", isrc=second)) == [mine[2]["sale_id"]]
    assert ids(store.get("/v1/sales", period="2006-12")) == [mine[1]["sale_id"]]
    assert ids(store.get("/v1/sales", territory="ru")) == in_order
    assert len(ids(api.get("/v1/sales"))) == 4
    assert ids(api.get("/v1/sales", store=store.code)) == in_order

    page = store.get("/v1/sales", limit=2).json()
    rest = store.get("/v1/sales", limit=2, cursor=page["next_cursor"]).json()
    assert [s["sale_id"] for s in page["data"] + rest["data"]] == in_order
    assert rest["next_cursor"] is None

    listed = store.get("/v1/sales", isrc=second).json()["data"][0]
    assert listed["held"] is True  # no neighbouring shares for the second recording
    assert listed["unit_price"] == "0.100000"
    assert listed["refunded_quantity"] == 0

"""Where a sale or refund was booked (issue 11): its month, or the oldest open one."""

from typing import Any

from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale


def _close(api: Api, period: str) -> None:
    response = api.client.post(f"/v1/periods/{period}/close", headers=api.admin)
    assert response.status_code == 201, response.text


def _booked(body: dict[str, Any]) -> tuple[Any, Any]:
    return body["booked_period"], body["adjustment"]


def test_a_late_sale_and_its_refunds_show_the_month_they_were_booked_in(
    api: Api, store: Store
) -> None:
    label = api.holder(kind="label", currency="EUR")["id"]
    code = isrc()
    api.recording(code, [share(label, "neighbouring", "1")])
    api.tariff(territory="DE", right_type="neighbouring", currency="EUR", percent_of_gross="0.15")
    on_time = store.one(a_sale(code, territory="DE", currency="EUR", unit_price="0.99"))
    assert _booked(on_time) == ("2006-11", False)
    _close(api, "2006-11")

    late_body = a_sale(code, territory="DE", currency="EUR", unit_price="0.99", quantity=3)
    late = store.batch([late_body])["results"][0]
    assert late["status"] == "recorded" and _booked(late) == ("2006-12", True)
    again = store.batch([late_body])["results"][0]
    assert again["status"] == "duplicate" and _booked(again) == ("2006-12", True)

    sale_id = late_body["sale_id"]
    in_nov = {"refund_id": "r-nov", "quantity": 1, "refunded_at": "2006-11-30T00:00:00Z"}
    in_dec = {"refund_id": "r-dec", "quantity": 1, "refunded_at": "2006-12-02T00:00:00Z"}
    assert _booked(store.refund(sale_id, in_nov)) == ("2006-12", True)
    assert _booked(store.refund(sale_id, in_dec)) == ("2006-12", False)

    detail = store.get(f"/v1/sales/{sale_id}").json()
    assert detail["period"] == "2006-11" and _booked(detail) == ("2006-12", True)
    assert [_booked(r) for r in detail["refunds"]] == [("2006-12", True), ("2006-12", False)]
    first = store.get(f"/v1/sales/{on_time['sale_id']}").json()
    assert _booked(first) == ("2006-11", False)

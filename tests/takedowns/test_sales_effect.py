"""The effect on sales, through real `POST /v1/sales` requests of a store."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from service.tariffs.schemas import TariffCreate
from service.tariffs.service import create_tariff
from tests.factories import Api, bearer, unique
from tests.takedowns.conftest import Catalog, Takedowns

TERRITORIES = ("US", "FR", "DE", "JP", "RU")
PostSales = Callable[..., Response]


@pytest.fixture
def post_sales(client: TestClient, api: Api, session: Session) -> PostSales:
    """POST /v1/sales as a fresh store whose sales are licensed in TERRITORIES."""
    for territory in TERRITORIES:  # arranged directly: the tariffs suite tests the endpoint
        tariff = {"territory": territory, "right_type": "mechanical", "currency": "USD"}
        data = TariffCreate.model_validate(
            tariff | {"valid_from": "2000-01-01", "percent_of_gross": "0.08"}
        )
        create_tariff(session=session, data=data)
    session.flush()
    token = api.key("store", api.store()["code"])

    def post(body: Any) -> Response:
        return client.post("/v1/sales", json=body, headers=bearer(token))

    return post


def a_sale(isrc: str, territory: str, sold_at: str) -> dict[str, Any]:
    return {
        "sale_id": unique("o-"),
        "isrc": isrc,
        "territory": territory,
        "sold_at": sold_at,
        "quantity": 1,
        "unit_price": "0.99",
        "currency": "USD",
    }


def assert_withdrawn(response: Response, takedown_id: str) -> None:
    assert response.status_code == 451, response.text
    problem = response.json()
    assert problem["code"] == "withdrawn"
    assert problem["takedown_id"] == takedown_id


def assert_recorded(response: Response) -> None:
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "recorded"


def test_sales_are_refused_from_effective_at_in_those_territories_only(
    td: Takedowns, catalog: Catalog, post_sales: PostSales
) -> None:
    takedown = td.approved(
        "2006-11-01T00:00:00Z",
        isrc=catalog.isrc_a,
        territories=["US", "FR"],
        claimant_holder_id=catalog.label,
    )["id"]
    assert_withdrawn(post_sales(a_sale(catalog.isrc_a, "US", "2006-11-01T00:00:00Z")), takedown)
    assert_withdrawn(post_sales(a_sale(catalog.isrc_a, "FR", "2007-03-01T12:00:00Z")), takedown)
    # Posted after the takedown, but dated before it: still recorded.
    assert_recorded(post_sales(a_sale(catalog.isrc_a, "US", "2006-10-31T23:59:59Z")))
    assert_recorded(post_sales(a_sale(catalog.isrc_a, "DE", "2006-11-02T00:00:00Z")))
    assert_recorded(post_sales(a_sale(catalog.isrc_b, "US", "2006-11-02T00:00:00Z")))


def test_a_batch_mixing_withdrawn_and_fine_rows_rejects_only_the_withdrawn(
    td: Takedowns, catalog: Catalog, post_sales: PostSales
) -> None:
    takedown = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)["id"]
    rows = [
        a_sale(catalog.isrc_a, "US", "2006-11-05T00:00:00Z"),  # withdrawn
        a_sale(catalog.isrc_a, "US", "2006-10-05T00:00:00Z"),  # before: fine
        a_sale(catalog.isrc_b, "US", "2006-11-05T00:00:00Z"),  # other recording: fine
        a_sale(catalog.isrc_a, "US", "2007-01-05T00:00:00Z"),  # withdrawn
        a_sale(catalog.isrc_a, "FR", "2006-11-05T00:00:00Z"),  # other territory: fine
    ]
    response = post_sales({"sales": rows})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["recorded"], body["rejected"], body["duplicates"]) == (3, 2, 0)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["rejected", "recorded", "recorded", "rejected", "recorded"]
    for index in (0, 3):
        error = body["results"][index]["error"]
        assert error["code"] == "withdrawn"
        assert error["takedown_id"] == takedown
    # Rejected rows are not remembered: sent again once lifted, they are recorded.
    td.lift(takedown, effective_at="2006-11-01T00:00:00Z", reason="withdrawn by mistake")
    again = post_sales({"sales": [rows[0], rows[3]]}).json()
    assert [r["status"] for r in again["results"]] == ["recorded", "recorded"]


def test_a_work_takedown_withdraws_every_recording_of_it(
    td: Takedowns, catalog: Catalog, post_sales: PostSales
) -> None:
    takedown = td.approved(
        iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )["id"]
    for code in (catalog.isrc_a, catalog.isrc_b):
        for territory in ("US", "JP"):
            assert_withdrawn(post_sales(a_sale(code, territory, "2006-12-01T00:00:00Z")), takedown)
    assert_recorded(post_sales(a_sale(catalog.isrc_lone, "US", "2006-12-01T00:00:00Z")))


def test_a_lift_restores_sales_from_its_effective_at(
    td: Takedowns, catalog: Catalog, post_sales: PostSales
) -> None:
    takedown = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)["id"]
    assert td.lift(takedown, effective_at="2007-01-01T00:00:00Z").status_code == 200
    assert_withdrawn(post_sales(a_sale(catalog.isrc_a, "US", "2006-12-31T23:59:59Z")), takedown)
    assert_recorded(post_sales(a_sale(catalog.isrc_a, "US", "2007-01-01T00:00:00Z")))
    assert_recorded(post_sales(a_sale(catalog.isrc_a, "US", "2008-06-01T00:00:00Z")))


def test_pending_and_rejected_takedowns_do_not_stop_sales(
    td: Takedowns, catalog: Catalog, post_sales: PostSales
) -> None:
    td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    refused = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.stranger)
    td.decide(refused["id"], approve=False, reason="no share")
    assert_recorded(post_sales(a_sale(catalog.isrc_a, "US", "2006-12-01T00:00:00Z")))

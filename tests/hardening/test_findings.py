"""Regression tests of issue #10's findings: each input once answered a 500 or broke verify."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import Api, isrc
from tests.hardening.conftest import priced_recording
from tests.sales.conftest import Store, a_sale, counts

ADMIN_WRITES = "/v1/sales", "/v1/payments", "/v1/tariffs"


def verified(api: Api) -> dict[str, Any]:
    response = api.get("/v1/ledger/verify")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_patch_recording_title_null_is_a_problem_naming_the_field(api: Api) -> None:
    code = isrc()
    api.recording(code, [])
    response = api.client.patch(f"/v1/recordings/{code}", json={"title": None}, headers=api.admin)
    assert response.status_code == 422, response.text
    assert "title" in response.text


@pytest.fixture
def priced(api: Api) -> str:
    """A recording whose every sale books a royalty (0.01 USD a unit)."""
    return priced_recording(api)[1]


@pytest.mark.parametrize("price", ["-0", "-0.00", "0E+3", "1.10000", "1E-2", "+1", "0.0"])
def test_non_canonical_prices_keep_the_chain_verifiable(
    store: Store, api: Api, priced: str, price: str
) -> None:
    response = store.post(a_sale(priced, unit_price=price))
    assert response.status_code in (201, 422), response.text
    assert verified(api)["ok"] is True


def test_unicode_digits_are_refused_naming_the_field(store: Store, priced: str) -> None:
    response = store.post(a_sale(priced, unit_price="\u0661"))
    assert response.status_code == 422, response.text
    assert "unit_price" in response.text


def _admin(api: Api, method: str, path: str, body: Any) -> Any:
    # json.dumps escapes a lone surrogate as "\\ud800", as a hostile client sends it.
    headers = {**api.admin, "Content-Type": "application/json"}
    return api.client.request(method, path, content=json.dumps(body), headers=headers)


PAYMENT = {
    "party": "society:ROMS",
    "currency": "RUB",
    "paid_at": "2006-12-05T12:00:00Z",
    "reference": "wire-1",
    "amount": "10.00",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", 1e307),
        ("amount", "10000000000000"),
        ("amount", "1e999999"),
        ("amount", "1" * 40),
        ("reference", "r" * 200),
        ("paid_at", "0001-01-01T00:00:00+01:00"),
        ("paid_at", "9999-12-31T23:59:59-01:00"),
    ],
)
def test_hostile_payments_are_problems(api: Api, session: Session, field: str, value: Any) -> None:
    api.society(code="ROMS")
    before = counts(session)
    response = _admin(api, "POST", "/v1/payments", {**PAYMENT, field: value})
    assert 400 <= response.status_code < 500, response.text
    assert field in response.text
    assert counts(session) == before


TARIFF = {
    "territory": "RU",
    "right_type": "mechanical",
    "currency": "USD",
    "valid_from": "2000-01-01",
    "valid_to": None,
    "percent_of_gross": None,
    "per_unit": "0.1",
    "per_minute": None,
}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/tariffs", {**TARIFF, "per_unit": "1000000000000"}, "per_unit"),
        (
            "/v1/fx-rates",
            {"date": "2006-10-31", "from": "USD", "to": "RUB", "rate": "1e999999"},
            "rate",
        ),
        (
            "/v1/societies",
            {
                "code": "SOCX",
                "name": "S",
                "country": "RU",
                "currency": "RUB",
                "right_types": ["mechanical"],
                "commission_rate": "0.1",
                "extended_collective_licensing": False,
                "payout_threshold": "1e999999",
            },
            "payout_threshold",
        ),
        ("/v1/api-keys", {"role": "store", "subject": "\ud800"}, "subject"),
        (
            "/v1/mandates",
            {
                "holder_id": "\ud800",
                "society_code": "X",
                "right_type": "mechanical",
                "territories": ["RU"],
                "valid_from": "2000-01-01",
                "valid_to": None,
            },
            "holder_id",
        ),
    ],
)
def test_hostile_admin_writes_are_problems_naming_the_field(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    response = _admin(api, "POST", path, body)
    assert response.status_code == 422, response.text
    assert field in response.text


@pytest.mark.parametrize("sold_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_sold_at_out_of_range_is_a_problem(store: Store, priced: str, sold_at: str) -> None:
    response = store.post(a_sale(priced, sold_at=sold_at))
    assert response.status_code == 422, response.text
    assert "sold_at" in response.text


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_effective_at_out_of_range_is_a_problem(api: Api, priced: str, moment: str) -> None:
    holder = api.get(f"/v1/recordings/{priced}").json()
    takedown = api.post(
        "/v1/takedowns",
        {
            "isrc": priced,
            "territories": ["US"],
            "claimant_holder_id": holder["shares"][0]["holder_id"],
            "evidence": {"kind": "contract", "reference": "Licence 1", "sha256": "a" * 64},
        },
    )
    response = _admin(
        api, "POST", f"/v1/takedowns/{takedown['id']}/decision",
        {"approve": True, "effective_at": moment},
    )  # fmt: skip
    assert response.status_code == 422, response.text
    assert "effective_at" in response.text


@pytest.mark.parametrize("period", ["9999-12", "0000-01"])
def test_closing_impossible_months_is_a_problem(api: Api, period: str) -> None:
    response = _admin(api, "POST", f"/v1/periods/{period}/close", None)
    assert 400 <= response.status_code < 500, response.text


def test_admin_sale_for_unknown_store_is_a_problem(api: Api, priced: str) -> None:
    response = api.client.post(
        "/v1/sales", params={"store": "nosuchstore"}, json=a_sale(priced), headers=api.admin
    )
    assert 400 <= response.status_code < 500, response.text
    assert "store" in response.text


@pytest.mark.parametrize("media", ["application/json", "application/x-ndjson"])
def test_deeply_nested_sales_body_is_malformed(store: Store, media: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = deep if media != "application/json" else '{"sales": ' + deep + "}"
    response = store.post_raw(body, media)
    if media == "application/json":
        assert response.status_code == 400, response.text
    else:  # NDJSON rows stand alone: the line is a rejected row of its own
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] == "rejected"


def test_royalty_overflow_fails_its_row_not_the_batch(
    api: Api, store: Store, session: Session
) -> None:
    _, code = priced_recording(api, per_unit="999999999")
    good, huge = a_sale(code, quantity=1), a_sale(code, quantity=1_000_000)
    result = store.batch([good, huge])
    statuses = [r["status"] for r in result["results"]]
    assert statuses[0] == "recorded"
    assert statuses[1] != "recorded"
    assert verified(api)["ok"] is True


def test_options_lists_every_method(client: TestClient) -> None:
    response = client.options("/v1/api-keys")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed

"""Tariffs (validity, overlap) and FX rates (latest on or before, inverse)."""

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.tariffs.service import fx_rate, inverse
from tests.factories import Api

US_2006 = {
    "territory": "US",
    "right_type": "mechanical",
    "currency": "USD",
    "valid_from": "2006-01-01",
    "valid_to": "2023-01-01",
    "per_unit": "0.091",
    "per_minute": {"rate": "0.0175", "over_seconds": 300},
}


def test_tariff_roundtrip_keeps_exact_decimals(api: Api) -> None:
    created = api.tariff(**US_2006)
    assert created["per_unit"] == "0.091"
    assert created["per_minute"] == {"rate": "0.0175", "over_seconds": 300}
    fetched = api.get(f"/v1/tariffs/{created['id']}").json()
    assert fetched == created


def test_overlapping_tariffs_conflict(api: Api, client: TestClient) -> None:
    api.tariff(**US_2006)
    overlapping = {**US_2006, "valid_from": "2022-06-01", "valid_to": None, "per_unit": "0.12"}
    response = client.post("/v1/tariffs", json=overlapping, headers=api.admin)
    assert response.status_code == 409
    # Half-open ranges: starting on the previous valid_to is not an overlap.
    api.tariff(**{**overlapping, "valid_from": "2023-01-01", "per_minute": None})
    # Another right type in the same territory is independent.
    api.tariff(**{**US_2006, "right_type": "performance"})
    in_force = api.get("/v1/tariffs", territory="US", right_type="mechanical", on="2024-05-01")
    assert [t["per_unit"] for t in in_force.json()["data"]] == ["0.12"]


def test_a_tariff_needs_a_component(api: Api, client: TestClient) -> None:
    body = {**US_2006, "per_unit": None, "per_minute": None}
    response = client.post("/v1/tariffs", json=body, headers=api.admin)
    assert response.status_code == 422
    assert "percent_of_gross" in response.json()["detail"] + str(response.json()["errors"])


def test_fx_latest_on_or_before_and_inverse(api: Api, session: Session) -> None:
    api.fx("2006-10-31", "USD", "RUB", "26.7")
    api.fx("2006-11-15", "USD", "RUB", "26.5")
    assert fx_rate(
        session=session, from_currency="USD", to_currency="RUB", on=date(2006, 11, 3)
    ) == Decimal("26.7")
    assert fx_rate(
        session=session, from_currency="USD", to_currency="RUB", on=date(2006, 11, 15)
    ) == Decimal("26.5")
    assert (
        fx_rate(session=session, from_currency="USD", to_currency="RUB", on=date(2006, 10, 30))
        is None
    )
    back = fx_rate(session=session, from_currency="RUB", to_currency="USD", on=date(2006, 11, 3))
    assert back == inverse(Decimal("26.7")) == Decimal("0.037453183521")
    listed = api.get("/v1/fx-rates", **{"from": "USD", "to": "RUB"}).json()["data"]
    assert [r["rate"] for r in listed] == ["26.7", "26.5"]
    assert listed[0]["inverse"] == "0.037453183521"


def test_fx_same_pair_and_date_conflicts(api: Api, client: TestClient) -> None:
    api.fx("2006-10-31", "USD", "RUB", "26.7")
    again = {"date": "2006-10-31", "from": "USD", "to": "RUB", "rate": "27"}
    assert client.post("/v1/fx-rates", json=again, headers=api.admin).status_code == 409
    same = {"date": "2006-10-31", "from": "USD", "to": "USD", "rate": "1"}
    assert client.post("/v1/fx-rates", json=same, headers=api.admin).status_code == 422

"""A store's licence: set by an admin, shown in its record, checked, cleared."""

from fastapi.testclient import TestClient

from tests.factories import Api, bearer


def test_an_admin_records_where_a_store_is_licensed(client: TestClient, api: Api) -> None:
    roms = api.society(code="ROMSL", right_types=["mechanical"])["code"]
    store = api.store()
    assert store["licence"] is None
    path = f"/v1/stores/{store['code']}/licence"
    response = client.put(path, json={"territory": "ru", "society_code": roms}, headers=api.admin)
    assert response.status_code == 200, response.text
    assert response.json()["licence"] == {"territory": "RU", "society_code": roms}
    token = api.key("store", store["code"])
    shown = client.get(f"/v1/stores/{store['code']}", headers=bearer(token)).json()
    assert shown["licence"] == {"territory": "RU", "society_code": roms}
    # The store reads its licence but may not change it.
    refused = client.put(
        path, json={"territory": "US", "society_code": roms}, headers=bearer(token)
    )
    assert refused.status_code == 403
    cleared = client.put(
        path, content="null", headers={**api.admin, "Content-Type": "application/json"}
    )
    assert cleared.status_code == 200 and cleared.json()["licence"] is None


def test_a_licence_names_a_known_society_and_territory(client: TestClient, api: Api) -> None:
    store = api.store()
    path = f"/v1/stores/{store['code']}/licence"
    for body in (
        {"territory": "RU", "society_code": "NOSUCH"},
        {"territory": "XX", "society_code": "NOSUCH"},
        {"territory": "RU"},
    ):
        response = client.put(path, json=body, headers=api.admin)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/v1/stores/{store['code']}", headers=api.admin).json()["licence"] is None
    body = {"code": "licensedx", "name": "A store", "country": "RU",
            "licence": {"territory": "RU", "society_code": "NOSUCH"}}  # fmt: skip
    assert client.post("/v1/stores", json=body, headers=api.admin).status_code == 422
    missing = client.put(
        "/v1/stores/nosuch/licence",
        json={"territory": "RU", "society_code": "NOSUCH"},
        headers=api.admin,
    )
    assert missing.status_code == 404

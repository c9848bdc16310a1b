"""Bearer keys: 401 without a valid token, 403 for a wrong role, 404 across tenants."""

import hashlib

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import Api, bearer


def test_no_token_is_401_problem(client: TestClient) -> None:
    response = client.get("/v1/societies")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"


def test_unknown_token_is_401(client: TestClient) -> None:
    response = client.get("/v1/societies", headers=bearer("rl_not-a-real-token"))
    assert response.status_code == 401


def test_keys_are_stored_as_the_sha256_of_the_token(
    api: Api, client: TestClient, session: Session
) -> None:
    store = api.store()
    issued = api.post("/v1/api-keys", {"role": "store", "subject": store["code"]})
    token = issued["token"]
    stored = session.execute(
        sa.text("SELECT token_hash FROM api_key WHERE id = :id"), {"id": issued["id"]}
    ).scalar_one()
    assert stored == hashlib.sha256(token.encode("utf-8")).hexdigest()
    assert token not in stored

    assert client.get("/v1/societies", headers=bearer(token)).status_code == 200
    near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get("/v1/societies", headers=bearer(near_miss)).status_code == 401

    # The lookup is by that hash alone: store another token's hash and that token works,
    # while the issued one stops.
    other = "rl_" + "x" * 43
    session.execute(
        sa.text("UPDATE api_key SET token_hash = :h WHERE id = :id"),
        {"h": hashlib.sha256(other.encode("utf-8")).hexdigest(), "id": issued["id"]},
    )
    session.flush()
    assert client.get("/v1/societies", headers=bearer(other)).status_code == 200
    assert client.get("/v1/societies", headers=bearer(token)).status_code == 401


def test_revoked_token_stops_working_at_once(api: Api, client: TestClient) -> None:
    store = api.store()
    issued = api.post("/v1/api-keys", {"role": "store", "subject": store["code"]})
    headers = bearer(issued["token"])
    assert client.get("/v1/societies", headers=headers).status_code == 200
    assert client.delete(f"/v1/api-keys/{issued['id']}", headers=api.admin).status_code == 204
    response = client.get("/v1/societies", headers=headers)
    assert response.status_code == 401
    listed = api.get("/v1/api-keys").json()["data"]
    assert {k["id"]: k["revoked"] for k in listed}[issued["id"]] is True
    assert all(k["token"] is None for k in listed)


def test_wrong_role_is_403(api: Api, client: TestClient) -> None:
    store = api.store()
    token = api.key("store", store["code"])
    response = client.post(
        "/v1/societies",
        headers=bearer(token),
        json={
            "code": "EVIL",
            "name": "x",
            "country": "RU",
            "currency": "RUB",
            "right_types": ["mechanical"],
            "commission_rate": "0.1",
        },
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert api.get("/v1/societies/EVIL").status_code == 404


def test_cross_tenant_read_is_404(api: Api, client: TestClient) -> None:
    mine, theirs = api.holder(), api.holder()
    token = api.key("rights_holder", mine["id"])
    assert client.get(f"/v1/rights-holders/{mine['id']}", headers=bearer(token)).status_code == 200
    other = client.get(f"/v1/rights-holders/{theirs['id']}", headers=bearer(token))
    assert other.status_code == 404
    listed = client.get("/v1/rights-holders", headers=bearer(token)).json()["data"]
    assert [h["id"] for h in listed] == [mine["id"]]
    store_a, store_b = api.store(), api.store()
    token_a = api.key("store", store_a["code"])
    assert client.get(f"/v1/stores/{store_b['code']}", headers=bearer(token_a)).status_code == 404


def test_key_subject_must_exist(api: Api) -> None:
    body = api.post("/v1/api-keys", {"role": "society", "subject": "NOPE"}, expect=422)
    assert body["errors"][0]["loc"] == ["body", "subject"]
    api.post("/v1/api-keys", {"role": "admin", "subject": "x"}, expect=422)


def test_any_authenticated_caller_reads_the_catalog(api: Api, client: TestClient) -> None:
    api.society(code="ROMS")
    store = api.store()
    headers = bearer(api.key("store", store["code"]))
    for path in ("/v1/societies", "/v1/works", "/v1/recordings", "/v1/tariffs", "/v1/fx-rates"):
        assert client.get(path, headers=headers).status_code == 200, path

"""Bad input: a clear RFC 9457 problem, and nothing written."""

import json

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, func, select

from service.parties.models import Society
from tests.factories import Api, bearer, isrc

SOCIETY = {
    "code": "ROMS",
    "name": "ROMS",
    "country": "RU",
    "currency": "RUB",
    "right_types": ["mechanical"],
    "commission_rate": "0.15",
}


def society_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Society)).one()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_malformed_json(api: Api, client: TestClient, session: Session) -> None:
    response = client.post(
        "/v1/societies",
        content=b'{"code": "ROMS", "name": ',
        headers={**api.admin, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert body["code"] == "malformed"
    assert society_count(session) == 0


def test_unknown_territory_and_currency_name_the_fields(
    api: Api, client: TestClient, session: Session
) -> None:
    response = client.post(
        "/v1/societies", json={**SOCIETY, "country": "XX", "currency": "ZZZ"}, headers=api.admin
    )
    body = assert_problem(response, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert locs == {("body", "country"), ("body", "currency")}
    assert all(e["msg"] for e in body["errors"])
    assert society_count(session) == 0


def test_negative_commission(api: Api, client: TestClient, session: Session) -> None:
    response = client.post(
        "/v1/societies", json={**SOCIETY, "commission_rate": "-0.1"}, headers=api.admin
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "commission_rate"]
    assert society_count(session) == 0


def _post_raw(client: TestClient, path: str, text: str, headers: dict[str, str]) -> Response:
    """Sends ``text`` verbatim, so numbers stay JSON number literals (floats), not strings."""
    return client.post(path, content=text, headers={**headers, "Content-Type": "application/json"})


def test_money_as_float_is_accepted_only_as_exact_decimal(
    api: Api, client: TestClient, session: Session
) -> None:
    """API.md asks for decimal strings; a JSON float is read as the decimal its text spells
    (0.1 is 0.1, never the binary 0.1000000000000000055...), and still has to pass the
    field's bounds and precision."""
    body = json.dumps({**SOCIETY, "code": "FAIR"}).replace('"0.15"', "0.1")
    assert '"commission_rate": 0.1}' in body
    created = _post_raw(client, "/v1/societies", body, api.admin)
    assert created.status_code == 201, created.text
    assert created.json()["commission_rate"] == "0.1"
    assert api.get("/v1/societies/FAIR").json()["commission_rate"] == "0.1"

    too_big = json.dumps({**SOCIETY, "code": "BIG"}).replace('"0.15"', "1.5")
    body_422 = assert_problem(_post_raw(client, "/v1/societies", too_big, api.admin), 422)
    assert body_422["errors"][0]["loc"] == ["body", "commission_rate"]
    assert society_count(session) == 1

    # A price: exact to the micro-unit; a float with a seventh decimal is refused, not rounded.
    api.tariff(territory="RU", right_type="mechanical", currency="USD", percent_of_gross="0.15")
    code = api.store()["code"]
    store = bearer(api.key("store", code))
    sale = {
        "sale_id": "f-1",
        "isrc": isrc(),
        "territory": "RU",
        "sold_at": "2006-11-03T10:00:00Z",
        "quantity": 1,
        "unit_price": "PRICE",
        "currency": "USD",
    }
    exact = json.dumps({"sales": [sale]}).replace('"PRICE"', "0.1")
    result = _post_raw(client, "/v1/sales", exact, store)
    assert result.status_code == 200, result.text
    assert result.json()["results"][0]["status"] == "recorded", result.text
    assert client.get("/v1/sales/f-1", headers=store).json()["unit_price"] == "0.100000"

    sale["sale_id"] = "f-2"
    inexact = json.dumps({"sales": [sale]}).replace('"PRICE"', "0.1234567")
    refused = _post_raw(client, "/v1/sales", inexact, store).json()["results"][0]
    assert refused["status"] == "rejected"
    assert refused["error"]["code"] == "invalid"
    assert client.get("/v1/sales/f-2", headers=store).status_code == 404


def test_ten_megabyte_body_is_refused_before_parsing(
    api: Api, client: TestClient, session: Session
) -> None:
    payload = b'{"code": "ROMS", "name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post(
        "/v1/societies", content=payload, headers={**api.admin, "Content-Type": "application/json"}
    )
    body = assert_problem(response, 413)
    assert body["code"] == "too_large"
    assert society_count(session) == 0


def test_unknown_field_is_refused(api: Api, client: TestClient) -> None:
    response = client.post("/v1/societies", json={**SOCIETY, "colour": "red"}, headers=api.admin)
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "colour"]


def test_unknown_route_is_a_problem_too(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)


def test_duplicate_society_is_409_and_first_kept(api: Api, client: TestClient) -> None:
    api.society(code="ROMS", name="first")
    response = client.post("/v1/societies", json={**SOCIETY, "name": "second"}, headers=api.admin)
    assert_problem(response, 409)
    assert api.get("/v1/societies/ROMS").json()["name"] == "first"


def test_nul_characters_are_refused_everywhere(
    api: Api, client: TestClient, session: Session
) -> None:
    body = {**SOCIETY, "name": "RO\u0000MS"}
    response = client.post("/v1/societies", json=body, headers=api.admin)
    assert assert_problem(response, 422)["detail"].startswith("Text may not contain NUL")
    raw = client.post(
        "/v1/societies",
        content=b'{"code": "ROMS", "name": "a\x00"}',
        headers={**api.admin, "Content-Type": "application/json"},
    )
    assert_problem(raw, 422)  # caught before JSON parsing
    assert_problem(client.get("/v1/works", params={"title": "\x00"}, headers=api.admin), 422)
    assert society_count(session) == 0


def test_oversized_body_without_content_length_is_refused(
    api: Api, client: TestClient, session: Session
) -> None:
    def chunks():
        yield b'{"code": "ROMS", "name": "'
        for _ in range(10):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = client.post(
        "/v1/societies", content=chunks(), headers={**api.admin, "Content-Type": "application/json"}
    )
    assert assert_problem(response, 413)["code"] == "too_large"
    assert society_count(session) == 0

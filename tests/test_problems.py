"""Bad input: a clear RFC 9457 problem, and nothing written."""

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from service.parties.models import Society
from tests.factories import Api

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


def test_money_as_float_is_accepted_only_as_exact_decimal(api: Api) -> None:
    soc = api.society(code="FAIR", commission_rate="0.10")
    assert soc["commission_rate"] == "0.10"


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

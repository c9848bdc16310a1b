"""Per-key rate limits (issue #26): 429 with Retry-After and the RateLimit-Policy and
RateLimit fields of draft-ietf-httpapi-ratelimit-headers-10, parsed as the Structured
Field Lists (RFC 9651) the draft defines them to be, with the `http-sfv` parser."""

from collections.abc import Iterator
from typing import Any

import http_sfv
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from service.config import Settings
from tests.apps import client_with
from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, bearer

LIMIT = 3
WINDOW_S = 3600  # an hour: nothing in this test can see the window move


@pytest.fixture
def limited(connection: Connection) -> Iterator[TestClient]:
    """An app whose keys may each make ``LIMIT`` requests an hour (the suite's own app
    has no limit, as every deployment that does not set LEDGER_RATE_LIMIT)."""
    with client_with(connection, Settings(rate_limit=f"{LIMIT}/hour")) as client:
        yield client


def _items(value: str) -> list[tuple[Any, dict[str, Any]]]:
    parsed = http_sfv.List()
    parsed.parse(value.encode())
    return [(item.value, dict(item.params)) for item in parsed]


def test_the_limit_answers_429_with_retry_after_and_ratelimit_fields(
    limited: TestClient,
) -> None:
    api = Api(limited, ADMIN_TOKEN)
    store = api.store()  # the admin token's first request of its own budget
    token = api.key("store", store["code"])
    headers = bearer(token)

    remaining = []
    for _ in range(LIMIT):
        response = limited.get("/v1/sales", headers=headers)
        assert response.status_code == 200
        assert _items(response.headers["RateLimit-Policy"]) == [
            ("per-key", {"q": LIMIT, "w": WINDOW_S})
        ]
        [(policy, params)] = _items(response.headers["RateLimit"])
        assert policy == "per-key" and 0 < params["t"] <= WINDOW_S
        remaining.append(params["r"])
        assert "Retry-After" not in response.headers
    assert remaining == [LIMIT - 1, LIMIT - 2, 0]

    refused = limited.get("/v1/sales", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit() and 0 < int(retry_after) <= WINDOW_S  # delay-seconds
    [(policy, params)] = _items(refused.headers["RateLimit"])
    assert (policy, params["r"]) == ("per-key", 0)
    assert refused.json()["retry_after_s"] == int(retry_after)


def test_each_key_has_its_own_budget_and_refusals_write_nothing(limited: TestClient) -> None:
    api = Api(limited, ADMIN_TOKEN)
    store = api.store()
    first, second = api.key("store", store["code"]), api.key("store", store["code"])
    # The admin token spent its three (store, two keys): the next admin call is refused.
    refused = limited.post("/v1/stores", json={"code": "late", "name": "x"}, headers=api.admin)
    assert refused.status_code == 429
    assert limited.get("/v1/stores/late", headers=bearer(second)).status_code == 404
    for _ in range(LIMIT):
        assert limited.get("/v1/sales", headers=bearer(first)).status_code == 200
    assert limited.get("/v1/sales", headers=bearer(first)).status_code == 429
    assert limited.get("/v1/sales", headers=bearer(second)).status_code == 200


def test_no_limit_and_no_fields_unless_configured(client: TestClient, api: Api) -> None:
    store = api.store()
    headers = bearer(api.key("store", store["code"]))
    for _ in range(LIMIT + 2):
        response = client.get("/v1/sales", headers=headers)
        assert response.status_code == 200
        assert "RateLimit" not in response.headers


def test_a_malformed_limit_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Settings(rate_limit="lots")

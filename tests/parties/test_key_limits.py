"""API keys with limits (issue #26): expiry, scopes narrower than the role, last use
noted at most once a minute, rotation without downtime. Old clients see no change."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.timeutil import utcnow
from tests.factories import Api, bearer
from tests.portal.conftest import csrf_of

SALE = {
    "sale_id": "lim-1",
    "isrc": "RUA010699999",
    "territory": "US",
    "sold_at": "2006-11-03T10:00:00Z",
    "quantity": 1,
    "unit_price": "0.10",
    "currency": "USD",
}


def _issue(api: Api, **body: Any) -> dict[str, Any]:
    return dict(api.post("/v1/api-keys", body))


def _key_count(session: Session) -> int:
    return int(session.execute(sa.text("SELECT count(*) FROM api_key")).scalar_one())


def _last_used(session: Session, key_id: str) -> Any:
    session.expire_all()
    return session.execute(
        sa.text("SELECT last_used_at FROM api_key WHERE id = :id"), {"id": key_id}
    ).scalar_one()


def test_a_key_without_limits_answers_as_before(api: Api) -> None:
    store = api.store()
    issued = _issue(api, role="store", subject=store["code"])
    assert issued["scopes"] is None and issued["expires_at"] is None
    assert issued["created_at"] is not None and issued["last_used_at"] is None
    listed = {k["id"]: k for k in api.get("/v1/api-keys", limit=1000).json()["data"]}
    assert listed[issued["id"]]["token"] is None
    assert listed[issued["id"]]["scopes"] is None


def test_an_expired_key_is_401_key_expired(api: Api, client: TestClient, session: Session) -> None:
    store = api.store()
    later = (utcnow() + timedelta(days=30)).isoformat()
    issued = _issue(api, role="store", subject=store["code"], expires_at=later)
    assert issued["expires_at"] is not None
    headers = bearer(issued["token"])
    assert client.get("/v1/societies", headers=headers).status_code == 200

    session.execute(
        sa.text("UPDATE api_key SET expires_at = :t WHERE id = :id"),
        {"t": utcnow() - timedelta(seconds=1), "id": issued["id"]},
    )
    session.flush()
    response = client.get("/v1/societies", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "key_expired" and body["key_id"] == issued["id"]
    assert "expired" in body["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"expires_at": "2001-01-01T00:00:00Z"},  # in the past
        {"expires_at": "2099-01-01T00:00:00"},  # no time zone
        {"scopes": ["statements:read"]},  # not a store's
        {"scopes": ["sales:write", "admin:everything"]},  # not a scope at all
        {"scopes": []},  # a key that may do nothing
    ],
)
def test_bad_limits_are_422_and_write_nothing(
    api: Api, client: TestClient, session: Session, body: dict[str, Any]
) -> None:
    store = api.store()
    before = _key_count(session)
    response = client.post(
        "/v1/api-keys", json={"role": "store", "subject": store["code"], **body}, headers=api.admin
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid"
    field = next(iter(body))
    mine = [err for err in problem["errors"] if err["loc"][:2] == ["body", field]]
    assert mine and all(err.get("type") != "extra_forbidden" for err in mine), mine
    assert _key_count(session) == before


def test_an_admin_key_may_be_read_only_but_not_write_limited(api: Api, client: TestClient) -> None:
    refused = client.post(
        "/v1/api-keys", json={"role": "admin", "scopes": ["sales:write"]}, headers=api.admin
    )
    assert refused.status_code == 422
    auditor = bearer(_issue(api, role="admin", scopes=["read"])["token"])
    assert client.get("/v1/api-keys", headers=auditor).status_code == 200
    response = client.post("/v1/api-keys", json={"role": "admin"}, headers=auditor)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_a_sales_key_posts_sales_and_refunds_only(api: Api, client: TestClient) -> None:
    store = api.store()
    issued = _issue(api, role="store", subject=store["code"], scopes=["sales:write"])
    assert issued["scopes"] == ["sales:write"]
    headers = bearer(issued["token"])

    posted = client.post("/v1/sales", json={"sales": [SALE]}, headers=headers)
    assert posted.status_code == 200, posted.text
    refund = {"refund_id": "r-1", "quantity": 1, "refunded_at": "2006-11-04T10:00:00Z"}
    refunded = client.post("/v1/sales/no-such-sale/refunds", json=refund, headers=headers)
    assert refunded.status_code == 404  # past the scope check: the sale is not there

    for method, path in [
        ("GET", "/v1/sales"),
        ("GET", "/v1/sales/lim-1"),
        ("GET", "/v1/societies"),
        ("GET", "/v1/recordings"),
    ]:
        response = client.request(method, path, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "insufficient_scope"
        assert response.json()["scopes"] == ["sales:write"]


def test_a_read_key_reads_and_writes_nothing(api: Api, client: TestClient) -> None:
    store = api.store()
    headers = bearer(_issue(api, role="store", subject=store["code"], scopes=["read"])["token"])
    assert client.get("/v1/sales", headers=headers).status_code == 200
    assert client.get("/v1/societies", headers=headers).status_code == 200
    response = client.post("/v1/sales", json={"sales": [SALE]}, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


def test_a_statements_key_reads_its_statements_and_the_log_only(
    api: Api, client: TestClient
) -> None:
    society = api.society()
    issued = _issue(api, role="society", subject=society["code"], scopes=["statements:read"])
    headers = bearer(issued["token"])
    for path in ("/v1/statements", "/v1/payments", "/v1/transparency/key"):
        assert client.get(path, headers=headers).status_code == 200, path
    for path in ("/v1/works", "/v1/societies", "/v1/balances", "/v1/ledger/head"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert response.json()["code"] == "insufficient_scope"
    # The scope never widens the role: a society key still reads no one else's statement.
    other = api.society()
    listed = client.get(
        "/v1/statements", headers=headers, params={"party": f"society:{other['code']}"}
    )
    assert all(s["party"] == f"society:{society['code']}" for s in listed.json()["data"])


def test_last_use_is_noted_in_memory_and_written_by_the_flush(
    app: FastAPI, api: Api, client: TestClient, session: Session
) -> None:
    store = api.store()
    issued = _issue(api, role="store", subject=store["code"])
    headers = bearer(issued["token"])
    assert _last_used(session, issued["id"]) is None

    for _ in range(3):
        assert client.get("/v1/societies", headers=headers).status_code == 200
    assert _last_used(session, issued["id"]) is None  # no request wrote it
    assert app.state.key_use.flush(session) >= 1  # what the app's thread does each minute
    first = _last_used(session, issued["id"])
    assert first is not None
    assert app.state.key_use.flush(session) == 0  # nothing new noted: nothing written

    # A time is never moved backwards (another process may have written a later one).
    app.state.key_use.note(issued["id"], utcnow() - timedelta(hours=1))
    app.state.key_use.flush(session)
    assert _last_used(session, issued["id"]) == first
    listed = {k["id"]: k for k in api.get("/v1/api-keys", limit=1000).json()["data"]}
    assert listed[issued["id"]]["last_used_at"] is not None


def test_rotation_without_downtime(api: Api, client: TestClient) -> None:
    """docs/api-keys.md: issue the new key, switch the client over, revoke the old one."""
    store = api.store()
    old = _issue(api, role="store", subject=store["code"], scopes=["sales:write"])
    new = _issue(api, role="store", subject=store["code"], scopes=["sales:write"])
    for key, sale_id in ((old, "rot-1"), (new, "rot-2")):  # both valid at once
        body = {"sales": [{**SALE, "sale_id": sale_id}]}
        assert client.post("/v1/sales", json=body, headers=bearer(key["token"])).status_code == 200
    assert client.delete(f"/v1/api-keys/{old['id']}", headers=api.admin).status_code == 204
    body = {"sales": [{**SALE, "sale_id": "rot-3"}]}
    assert client.post("/v1/sales", json=body, headers=bearer(old["token"])).status_code == 401
    assert client.post("/v1/sales", json=body, headers=bearer(new["token"])).status_code == 200


def test_a_scoped_key_signs_no_one_into_the_portal(api: Api, client: TestClient) -> None:
    """The portal acts with the whole role, so only an unscoped key opens a session."""
    society = api.society()
    scoped = _issue(api, role="society", subject=society["code"], scopes=["statements:read"])
    page = client.get("/portal")
    response = client.post(
        "/portal/sign-in", data={"token": scoped["token"], "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 401
    assert "rl_portal=" not in response.headers.get("set-cookie", "")

"""Behind TLS (issue #26): with LEDGER_PUBLIC_URL=https://…, every answer carries HSTS
(RFC 6797) and the portal's session cookie is `Secure`, even though the proxy in front
(Caddy, the compose `tls` profile) talks plain HTTP to the service."""

from collections.abc import Iterator
from http.cookies import Morsel, SimpleCookie

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Connection

from service.config import Settings
from service.portal.dependencies import COOKIE, PRE_COOKIE
from tests.apps import client_with
from tests.conftest import ADMIN_TOKEN
from tests.factories import Api
from tests.portal.conftest import csrf_of


@pytest.fixture
def behind_tls(connection: Connection) -> Iterator[TestClient]:
    with client_with(connection, Settings(public_url="https://ledger.example.org")) as client:
        yield client


def _cookies(response: Response) -> dict[str, Morsel[str]]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return dict(jar)


def _sign_in(client: TestClient) -> dict[str, Morsel[str]]:
    """The cookies sign-in sets. The pre-session cookie is sent back by hand: the test
    client speaks plain HTTP (as Caddy does to the service) and would keep a Secure one
    to itself, as a browser would over HTTP."""
    api = Api(client, ADMIN_TOKEN)
    token = api.key("society", api.society()["code"])
    page = client.get("/portal")
    pre = _cookies(page)[PRE_COOKIE]
    client.cookies.clear()
    response = client.post(
        "/portal/sign-in",
        data={"token": token, "csrf_token": csrf_of(page.text)},
        headers={"Cookie": f"{PRE_COOKIE}={pre.value}"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return {"pre": pre, **_cookies(response)}


def test_answers_carry_hsts(behind_tls: TestClient) -> None:
    for path in ("/healthz", "/v1/societies", "/portal", "/nowhere"):
        hsts = behind_tls.get(path).headers["strict-transport-security"]
        directives = {d.strip().split("=")[0].lower() for d in hsts.split(";")}
        assert "max-age" in directives and "includesubdomains" in directives
        max_age = int(hsts.split("max-age=")[1].split(";")[0])
        assert max_age >= 180 * 24 * 3600  # long enough to matter (RFC 6797 §11.2)


def test_the_portal_cookie_is_secure(behind_tls: TestClient) -> None:
    cookies = _sign_in(behind_tls)
    for morsel in (cookies["pre"], cookies[COOKIE]):
        assert morsel["secure"] is True and morsel["httponly"] is True


def test_without_a_public_https_url_neither(client: TestClient) -> None:
    """Plain `make run` on http://127.0.0.1: a Secure cookie would never come back."""
    assert "strict-transport-security" not in client.get("/healthz").headers
    cookies = _sign_in(client)
    assert not cookies["pre"]["secure"] and not cookies[COOKIE]["secure"]

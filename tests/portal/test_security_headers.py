"""Every portal answer carries the security headers (issue #24, break 7): pages reached by
following every link of the signed-in portal, its sign-in page, redirects, error pages
and static files."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import ADMIN_TOKEN
from tests.portal.conftest import sign_in

LINK = re.compile(r'href="(/portal[^"#?]*)(?:\?[^"]*)?"')
MAX_PAGES = 120


def assert_secured(response: Response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    headers = response.headers
    assert headers.get("x-frame-options") == "DENY", where
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer"), where


def crawl(client: TestClient, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, follow_redirects=False)
        assert_secured(response)
        if "text/html" in response.headers.get("content-type", ""):
            todo.extend(link for link in LINK.findall(response.text) if link not in seen)
    return seen


def test_anonymous_answers_are_secured(client: TestClient) -> None:
    anonymous = ("/portal", "/portal/overview", "/portal/nothing", "/portal/static/portal.css")
    for path in anonymous:
        assert_secured(client.get(path, follow_redirects=False))
    # The API itself is not a page: it is left alone.
    assert "x-frame-options" not in client.get("/healthz").headers


@pytest.mark.parametrize("role", ["ADMIN", "SOCIETY", "HOLDER_TOKEN"])
def test_every_page_of_a_signed_in_portal_is_secured(
    client: TestClient, demo: dict[str, Any], role: str
) -> None:
    sign_in(client, ADMIN_TOKEN if role == "ADMIN" else demo[role])
    pages = crawl(client, "/portal/overview")
    assert len(pages) >= 5, pages

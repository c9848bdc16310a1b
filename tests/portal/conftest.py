"""The portal's fixtures: the demo loaded into the test's database, and sign-in."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.demo import load_demo

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/portal")
    response = client.post(
        "/portal/sign-in",
        data={"token": token, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    overview = client.get("/portal/overview")
    assert overview.status_code == 200
    return csrf_of(overview.text)


@pytest.fixture
def demo(session: Session) -> dict[str, Any]:
    """The demo of `make run` (2006 sales, January to October closed), its tokens."""
    tokens = load_demo(session)
    session.flush()
    return tokens

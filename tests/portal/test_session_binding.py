"""A portal session is bound to the credential it was opened with (issue #24, break 4):
once the admin token changes, a cookie opened with the old one no longer opens the admin
pages nor creates keys; an admin key's session ends with its key."""

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import ApiKey
from service.portal.dependencies import COOKIE
from service.portal.models import PortalSession
from service.portal.sessions import signer
from service.timeutil import utcnow
from tests.conftest import ADMIN_TOKEN
from tests.factories import bearer
from tests.portal.conftest import sign_in


@contextmanager
def admin_token(app: FastAPI, token: str | None) -> Iterator[None]:
    """The service restarted with another ``LEDGER_ADMIN_TOKEN`` (or none)."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"admin_token": token})
    try:
        yield
    finally:
        app.state.settings = settings


def _keys(session: Session) -> int:
    return len(session.exec(select(ApiKey)).all())


def _refused(client: TestClient, csrf: str) -> None:
    page = client.get("/portal/admin/keys", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].split("?")[0] == "/portal", (
        page.text
    )
    created = client.post(
        "/portal/admin/keys",
        data={"role": "society", "subject": "HFA", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text


def test_a_changed_admin_token_ends_the_sessions_opened_with_it(
    client: TestClient, app: FastAPI, session: Session, demo: dict[str, Any]
) -> None:
    csrf = sign_in(client, ADMIN_TOKEN)
    assert client.get("/portal/admin/keys").status_code == 200
    before = _keys(session)
    with admin_token(app, "a-new-admin-token"):
        _refused(client, csrf)
    with admin_token(app, None):  # no admin token configured at all
        _refused(client, csrf)
    assert _keys(session) == before


def test_an_unbound_admin_session_from_before_is_refused(
    client: TestClient, session: Session, demo: dict[str, Any]
) -> None:
    # A session row and cookie as sign-in wrote them before sessions were bound.
    session_id = secrets.token_urlsafe(32)
    session.add(
        PortalSession(
            id_hash=hashlib.sha256(session_id.encode()).hexdigest(),
            key_id=None,
            role="admin",
            subject=None,
            csrf_token="c" * 32,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    session.flush()
    client.cookies.set(COOKIE, signer(None).sign(session_id).decode(), path="/portal")
    _refused(client, "c" * 32)


def test_a_key_session_cannot_pass_for_an_admin_token_one(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["ADMIN"])  # an admin *key*
    cookie = client.cookies.get(COOKIE)
    assert cookie is not None
    value = signer(None).unsign(cookie).decode()
    kind, _, session_id = value.partition(".")
    assert kind == "key"
    client.cookies.set(COOKIE, signer(None).sign(f"admin.{session_id}").decode(), path="/portal")
    assert client.get("/portal/admin/keys", follow_redirects=False).status_code == 303


def test_revoking_an_admin_key_ends_its_session(client: TestClient, demo: dict[str, Any]) -> None:
    csrf = sign_in(client, demo["ADMIN"])
    keys = client.get("/v1/api-keys", headers=bearer(ADMIN_TOKEN)).json()["data"]
    for key in keys:
        if key["role"] == "admin":
            client.delete(f"/v1/api-keys/{key['id']}", headers=bearer(ADMIN_TOKEN))
    _refused(client, csrf)

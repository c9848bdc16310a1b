"""Issue 27, how the portal answers: HTML error pages (never problem JSON or a pattern),
``no-store`` on pages and downloads, and back to the page you were on after sign-in."""

import logging
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.portal.pages.dependencies import safe_next
from service.statements.models import Statement
from tests.portal.conftest import csrf_of, sign_in


def _html_error(response: Any, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "problem+json" not in response.headers["content-type"]
    assert "\\d" not in response.text and "pattern" not in response.text
    return str(response.text)


def test_unknown_paths_and_bad_input_are_html_pages(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["SOCIETY"])
    missing = _html_error(client.get("/portal/no-such-page"), 404)
    assert "Page not found" in missing
    month = _html_error(client.get("/portal/statements", params={"period": "2006-1"}), 422)
    assert "a month written YYYY-MM" in month
    sort = client.get("/portal/statements/x", params={"sort": "nonsense"})
    assert "one of the columns offered" in _html_error(sort, 422)
    # The API keeps its problems.
    api = client.get("/v1/statements", params={"period": "2006-1"})
    assert api.headers["content-type"].startswith("application/problem+json")


def test_pages_and_downloads_are_never_stored(
    client: TestClient, session: Session, demo: dict[str, Any]
) -> None:
    st = session.exec(select(Statement).where(Statement.party == "society:ROMS")).first()
    assert st is not None
    assert client.get("/portal").headers["cache-control"] == "no-store"
    sign_in(client, demo["SOCIETY"])
    for path in (
        "/portal/overview",
        "/portal/statements",
        f"/portal/statements/{st.id}",
        f"/portal/statements/{st.id}/download/csv",
        f"/portal/statements/{st.id}/download/json",
        "/portal/no-such-page",
    ):
        assert client.get(path).headers.get("cache-control") == "no-store", path
    assert "no-store" not in client.get("/portal/static/portal.css").headers.get(
        "cache-control", ""
    )


def test_an_expired_session_returns_to_the_page_after_sign_in(
    client: TestClient, session: Session, demo: dict[str, Any]
) -> None:
    st = session.exec(select(Statement).where(Statement.party == "society:ROMS")).first()
    assert st is not None
    where = f"/portal/statements/{st.id}?territory=RU"
    away = client.get(where, follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"].startswith("/portal?next=")
    form = client.get(away.headers["location"]).text
    assert 'name="next"' in form
    nxt = re.search(r'name="next" value="([^"]+)"', form)
    assert nxt
    signed = client.post(
        "/portal/sign-in",
        data={
            "token": demo["SOCIETY"],
            "csrf_token": csrf_of(form),
            "next": nxt.group(1).replace("&amp;", "&"),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == where


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/portal/x", "//evil.example/portal/", "/v1/statements", "/portal\\x"],
)
def test_next_never_leaves_the_portal(target: str) -> None:
    assert safe_next(target) is None


def test_portal_actions_are_logged_with_who(
    client: TestClient, demo: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ledger.portal"):
        sign_in(client, demo["SOCIETY"])
    records = [r for r in caplog.records if r.name == "ledger.portal"]
    assert records and records[-1].__dict__["action"] == "sign-in"
    assert records[-1].__dict__["actor_role"] == "society"
    assert records[-1].__dict__["actor_subject"] == "ROMS"

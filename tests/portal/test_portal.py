"""The portal over HTTP (no browser): sessions, CSRF, role scoping, downloads, forms."""

import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN
from tests.factories import bearer
from tests.portal.conftest import csrf_of, sign_in

STATEMENT_LINK = re.compile(r'href="/portal/statements/([0-9a-f]{32})"')


def _key_id(client: TestClient, token: str) -> str:
    keys = client.get("/v1/api-keys", headers=bearer(ADMIN_TOKEN)).json()["data"]
    # The demo issues one key per role here; the society key is ROMS's.
    return next(k["id"] for k in keys if k["role"] == "society")


def test_sign_in_gives_a_strict_httponly_session_and_sign_out_ends_it(
    client: TestClient, demo: dict[str, Any]
) -> None:
    token = demo["SOCIETY"]
    page = client.get("/portal")
    forged = client.post(
        "/portal/sign-in", data={"token": token, "csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "rl_portal=" not in forged.headers.get("set-cookie", "")
    response = client.post(
        "/portal/sign-in",
        data={"token": token, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/portal" in cookie
    assert token not in cookie and token not in response.headers["location"]
    overview = client.get("/portal/overview")
    assert overview.status_code == 200
    assert token not in overview.text
    assert 'role="img"' in overview.text and "Royalty per month" in overview.text
    assert "2006-10" in overview.text and "demo-wire-2006-06" in overview.text
    csrf = csrf_of(overview.text)
    refused = client.post("/portal/sign-out", data={"csrf_token": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/portal/overview", follow_redirects=False).status_code == 200
    out = client.post("/portal/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    again = client.get("/portal/overview", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/portal"


def test_unknown_and_store_keys_are_refused(client: TestClient, demo: dict[str, Any]) -> None:
    for token in ("rl_unknown", demo["STORE"]):
        page = client.get("/portal")
        response = client.post(
            "/portal/sign-in", data={"token": token, "csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 401
        assert "rl_portal=" not in response.headers.get("set-cookie", "")


def test_revoking_the_key_ends_its_sessions(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo["SOCIETY"])
    key_id = _key_id(client, demo["SOCIETY"])
    assert client.delete(f"/v1/api-keys/{key_id}", headers=bearer(ADMIN_TOKEN)).status_code == 204
    response = client.get("/portal/overview", follow_redirects=False)
    assert response.status_code == 303


def test_a_caller_sees_what_the_api_shows_it(client: TestClient, demo: dict[str, Any]) -> None:
    society = demo["SOCIETY"]
    api_ids = {
        s["id"]
        for s in client.get(
            "/v1/statements", headers=bearer(society), params={"limit": 1000}
        ).json()["data"]
    }
    sign_in(client, society)
    listed = set(STATEMENT_LINK.findall(client.get("/portal/statements").text))
    assert listed == api_ids and len(listed) == 10  # January to October
    statement_id = sorted(listed)[0]
    csv_api = client.get(
        f"/v1/statements/{statement_id}", headers={**bearer(society), "Accept": "text/csv"}
    )
    csv_portal = client.get(f"/portal/statements/{statement_id}/download/csv")
    assert csv_portal.status_code == 200 and csv_portal.content == csv_api.content
    dsr_api = client.get(f"/v1/statements/{statement_id}?format=dsr", headers=bearer(society))
    assert client.get(f"/portal/statements/{statement_id}/download/dsr").content == dsr_api.content
    assert client.get("/portal/takedowns").status_code == 403  # societies do not read them
    assert client.get("/portal/admin/keys").status_code == 403

    client.cookies.clear()
    sign_in(client, demo["HOLDER_TOKEN"])
    for path in (
        f"/portal/statements/{statement_id}",
        f"/portal/statements/{statement_id}/download/csv",
    ):
        response = client.get(path)
        assert response.status_code == 404, path  # ROMS's statement does not exist for it
        assert "rl_" not in response.text
    remittance = client.get("/portal/remittance")
    api_lines = client.get(
        "/v1/royalties", headers=bearer(demo["HOLDER_TOKEN"]), params={"limit": 200}
    ).json()["data"]
    assert remittance.status_code == 200
    assert remittance.text.count("<tr><td>2006-") == len(api_lines) > 0
    assert "unclaimed_share" in client.get("/portal/overview").text  # Brooklyn Bridge 0.75


def test_lines_filter_sort_and_page(client: TestClient, demo: dict[str, Any]) -> None:
    society = demo["SOCIETY"]
    sign_in(client, society)
    statement_id = sorted(STATEMENT_LINK.findall(client.get("/portal/statements").text))[0]
    lines = client.get(
        f"/v1/statements/{statement_id}", headers=bearer(society), params={"limit": 1000}
    ).json()["lines"]
    page = client.get(f"/portal/statements/{statement_id}", params={"territory": "ru"}).text
    ru = [line for line in lines if line["territory"] == "RU"]
    assert f"{len(ru)} lines" in page
    rows = re.findall(r'<td class="territory">(\w+)</td>', page)
    assert rows and set(rows) == {"RU"}
    by_royalty = client.get(
        f"/portal/statements/{statement_id}",
        params={"sort": "royalty", "order": "desc", "size": "50"},
    ).text
    shown = re.findall(r'<td class="num royalty">(-?[\d,]+\.\d{6})</td>', by_royalty)
    top = max(Decimal(line["royalty"]) for line in lines)
    assert Decimal(shown[0].replace(",", "")) == top
    bad = client.get(f"/portal/statements/{statement_id}", params={"sort": "nonsense"})
    assert bad.status_code == 422


def test_holder_files_a_takedown_with_evidence_hash(
    client: TestClient, demo: dict[str, Any]
) -> None:
    holder = demo["HOLDER_TOKEN"]
    csrf = sign_in(client, holder)
    form = {
        "asset": "T-101.010.101-4",
        "territories": "US",
        "kind": "contract",
        "reference": "Publishing agreement 2004-17",
        "sha256": "ab" * 32,
    }
    assert client.post("/portal/takedowns", data=form).status_code == 403  # no CSRF token
    filed = client.post("/portal/takedowns", data={**form, "csrf_token": csrf})
    assert filed.status_code == 200 and "pending" in filed.text
    api = client.get("/v1/takedowns", headers=bearer(holder)).json()["data"]
    assert [(t["iswc"], t["status"]) for t in api] == [("T-101.010.101-4", "pending")]
    invalid = client.post("/portal/takedowns", data={**form, "sha256": "zz", "csrf_token": csrf})
    assert invalid.status_code == 422 and "not filed" in invalid.text
    takedown_id = api[0]["id"]
    admin = bearer(ADMIN_TOKEN)
    decision = {"approve": True, "effective_at": "2007-02-01T00:00:00Z", "reason": "proven"}
    lift = {"effective_at": "2007-03-01T00:00:00Z", "reason": "licence renewed"}
    client.post(f"/v1/takedowns/{takedown_id}/decision", json=decision, headers=admin)
    client.post(f"/v1/takedowns/{takedown_id}/lift", json=lift, headers=admin)
    history = client.get("/portal/takedowns").text
    assert "— lifted" in history and "licence renewed" in history and "proven" in history


def test_admin_closes_a_month_and_manages_keys(client: TestClient, demo: dict[str, Any]) -> None:
    csrf = sign_in(client, demo["ADMIN"])
    closed = client.get("/portal/admin/close", params={"period": "2006-09"}).text
    assert "closed" in closed and "Reconciliation per currency" in closed
    unconfirmed = client.post(
        "/portal/admin/close", data={"period": "2007-01", "csrf_token": csrf, "confirm": ""}
    )
    assert unconfirmed.status_code == 422
    created = client.post(
        "/portal/admin/keys", data={"role": "society", "subject": "HFA", "csrf_token": csrf}
    )
    assert created.status_code == 200 and created.history[0].status_code == 303
    token = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)  # type: ignore[union-attr]
    assert client.get("/v1/statements", headers=bearer(token)).status_code == 200
    key_id = re.search(r"Key ([0-9a-f]{32}) created", created.text).group(1)  # type: ignore[union-attr]
    revoked = client.post(f"/portal/admin/keys/{key_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 200
    assert client.get("/v1/statements", headers=bearer(token)).status_code == 401

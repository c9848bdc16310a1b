"""Issue 27, the admin's tasks in the portal: takedown decisions with the evidence shown,
a key form that mints once and preselects nothing, the month-close form's default."""

import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN
from tests.factories import bearer
from tests.portal.conftest import sign_in

TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')


def _keys(client: TestClient) -> int:
    return len(client.get("/v1/api-keys", headers=bearer(ADMIN_TOKEN)).json()["data"])


def test_key_form_preselects_no_role_and_a_refresh_mints_nothing(
    client: TestClient, demo: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    csrf = sign_in(client, demo["ADMIN"])
    form = client.get("/portal/admin/keys").text
    select = re.search(r'<select id="role"[^>]*>(.*?)</select>', form, re.S)
    assert select and '<option value="" selected disabled>' in select.group(1)
    assert select.group(1).count("selected") == 1
    before = _keys(client)
    with caplog.at_level(logging.INFO, logger="ledger.portal"):
        posted = client.post(
            "/portal/admin/keys",
            data={"role": "society", "subject": "HFA", "csrf_token": csrf},
            follow_redirects=False,
        )
    assert posted.status_code == 303
    shown = client.get(posted.headers["location"])
    token = TOKEN.search(shown.text)
    assert token and client.get("/v1/statements", headers=bearer(token.group(1))).status_code == 200
    again = client.get(posted.headers["location"])  # the refresh
    assert not TOKEN.search(again.text) and "shown once" in again.text
    assert _keys(client) == before + 1
    logged = [r.__dict__ for r in caplog.records if r.name == "ledger.portal"]
    assert [(r["action"], r["actor_role"], r["subject"]) for r in logged] == [
        ("key-create", "admin", "HFA")
    ]
    no_role = client.post("/portal/admin/keys", data={"role": "", "csrf_token": csrf})
    assert no_role.status_code == 422 and "No key was created" in no_role.text
    assert _keys(client) == before + 1


def test_close_form_defaults_to_the_month_that_can_be_closed(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["ADMIN"])
    page = client.get("/portal/admin/close").text
    now = datetime.now(UTC)
    ended = f"{now.year - (now.month == 1):04d}-{(now.month - 2) % 12 + 1:02d}"
    # The demo closed January to October 2006 and has no later entries: the last month
    # that has ended is the one a close accepts.
    assert f'name="period" type="month" value="{ended}"' in page
    assert now.strftime("%Y-%m") not in page


def test_admin_decides_takedowns_with_the_evidence_shown(
    client: TestClient, demo: dict[str, Any]
) -> None:
    holder = bearer(demo["HOLDER_TOKEN"])
    evidence = {
        "kind": "contract",
        "reference": "Publishing agreement 2004-17",
        "sha256": "cd" * 32,
    }
    ids = []
    for territory in ("US", "GB"):
        filed = client.post(
            "/v1/takedowns",
            headers=holder,
            json={
                "iswc": "T-101.010.101-4",
                "territories": [territory],
                "claimant_holder_id": demo["HOLDER"],
                "evidence": evidence,
            },
        )
        assert filed.status_code == 201, filed.text
        ids.append(filed.json()["id"])
    csrf = sign_in(client, demo["ADMIN"])
    page = client.get("/portal/takedowns").text
    assert "Publishing agreement 2004-17" in page and "cd" * 32 in page
    assert "Kalinka Music Publishing" in page  # the claimant by name
    assert f'action="/portal/admin/takedowns/{ids[0]}/decision"' in page

    unexplained = client.post(
        f"/portal/admin/takedowns/{ids[1]}/decision",
        data={"decision": "reject", "reason": "", "csrf_token": csrf},
    )
    assert unexplained.status_code == 422 and "Nothing was changed" in unexplained.text
    rejected = client.post(
        f"/portal/admin/takedowns/{ids[1]}/decision",
        data={"decision": "reject", "reason": "wrong territory", "csrf_token": csrf},
    )
    assert rejected.status_code == 200
    approved = client.post(
        f"/portal/admin/takedowns/{ids[0]}/decision",
        data={"decision": "approve", "effective_on": "2007-02-01", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    lifted = client.post(
        f"/portal/admin/takedowns/{ids[0]}/lift",
        data={"effective_on": "2007-03-01", "reason": "licence renewed", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert lifted.status_code == 303
    api = {t["id"]: t for t in client.get("/v1/takedowns", headers=holder).json()["data"]}
    assert api[ids[0]]["status"] == "lifted" and api[ids[1]]["status"] == "rejected"
    assert api[ids[0]]["effective_at"].startswith("2007-02-01")
    forged = client.post(
        f"/portal/admin/takedowns/{ids[0]}/lift", data={"reason": "x", "csrf_token": "forged"}
    )
    assert forged.status_code == 403


def test_a_holder_cannot_file_in_the_portal_without_a_share(
    client: TestClient, demo: dict[str, Any]
) -> None:
    csrf = sign_in(client, demo["HOLDER_TOKEN"])
    form = {
        "asset": "RUA010600001",  # Soyuz Records' recording of a work Kalinka Music holds
        "territories": "US",
        "kind": "contract",
        "reference": "x",
        "sha256": "ab" * 32,
        "csrf_token": csrf,
    }
    assert client.post("/portal/takedowns", data=form).status_code == 200
    stranger = client.post("/portal/takedowns", data={**form, "asset": "USBRK0600002"})
    assert stranger.status_code == 422 and "holds no share" in stranger.text

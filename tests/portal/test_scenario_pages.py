"""The scenario pages (no browser): what each key sees, the chart and table, the CSV."""

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import bearer
from tests.portal.conftest import sign_in


def _scenario(client: TestClient, admin: str) -> str:
    body = {"period_from": "2006-10", "store": "allofmp3", "territory": "store_licence"}
    response = client.post("/v1/scenarios", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_an_admin_sees_every_party_side_by_side(client: TestClient, demo: dict[str, Any]) -> None:
    scenario = _scenario(client, demo["ADMIN"])
    sign_in(client, demo["ADMIN"])
    listing = client.get("/portal/scenarios")
    assert listing.status_code == 200 and f"/portal/scenarios/{scenario}" in listing.text
    page = client.get(f"/portal/scenarios/{scenario}")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<dd id="differs">yes</dd>' in html
    assert html.count("<svg") == 2  # one chart per currency: GBP and USD
    for party in ("ROMS", "FAIR", "HFA", "MCPS", "PRS", "Nevsky Songs (paid directly)"):
        assert f"<td>{party}</td>" in html, party
    assert "scenario-exceptions" in html and "unknown_work" in html
    csv_page = client.get(f"/portal/scenarios/{scenario}/download.csv")
    api = client.get(f"/v1/scenarios/{scenario}?format=csv", headers=bearer(demo["ADMIN"]))
    assert csv_page.content == api.content


def test_a_society_sees_only_its_own_rows(client: TestClient, demo: dict[str, Any]) -> None:
    scenario = _scenario(client, demo["ADMIN"])
    sign_in(client, demo["SOCIETY"])
    html = client.get(f"/portal/scenarios/{scenario}").text
    assert "<td>ROMS</td>" in html
    for other in ("FAIR", "HFA", "MCPS", "store: allofmp3", "suspense: unknown_work"):
        assert f"<td>{other}</td>" not in html, other
    assert "scenario-exceptions" not in html
    missing = client.get("/portal/scenarios/no-such-scenario")
    assert missing.status_code == 404

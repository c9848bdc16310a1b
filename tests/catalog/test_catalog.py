"""Works, recordings and effective-dated shares."""

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from service.catalog.models import Share, Work
from service.catalog.service import WORK, load_share_versions, resolve_shares
from tests.factories import Api, share

ISWC = "T-034.524.680-1"


def test_shares_totalling_more_than_one_are_refused(
    api: Api, client: TestClient, session: Session
) -> None:
    a, b = api.holder(), api.holder()
    body = {
        "iswc": ISWC,
        "title": "Kalinka",
        "shares": [share(a["id"], "mechanical", "0.5"), share(b["id"], "mechanical", "0.5001")],
    }
    response = client.post("/v1/works", json=body, headers=api.admin)
    assert response.status_code == 422
    assert "1.0001" in response.json()["detail"]
    assert session.exec(select(func.count()).select_from(Work)).one() == 0
    assert session.exec(select(func.count()).select_from(Share)).one() == 0


def test_shares_below_one_are_accepted_and_the_rest_reported(api: Api) -> None:
    a, b = api.holder(), api.holder()
    work = api.work(
        ISWC, [share(a["id"], "mechanical", "0.5"), share(b["id"], "mechanical", "0.4999")]
    )
    assert work["unclaimed"] == [
        {"right_type": "mechanical", "territory": "WORLD", "share": "0.0001"}
    ]
    assert work["share_versions"][0]["valid_from"] is None


def test_invalid_iswc_and_isrc_are_refused(api: Api, client: TestClient) -> None:
    bad_work = client.post(
        "/v1/works", json={"iswc": "T-034.524.680-2", "title": "x"}, headers=api.admin
    )
    assert bad_work.status_code == 422
    assert bad_work.json()["errors"][0]["loc"] == ["body", "iswc"]
    bad_rec = client.post(
        "/v1/recordings",
        json={"isrc": "RUA01060000", "title": "x", "artist": "y"},
        headers=api.admin,
    )
    assert bad_rec.status_code == 422
    assert bad_rec.json()["errors"][0]["loc"] == ["body", "isrc"]


def test_right_types_belong_to_the_right_asset(api: Api, client: TestClient) -> None:
    h = api.holder()
    response = client.post(
        "/v1/works",
        json={"iswc": ISWC, "title": "x", "shares": [share(h["id"], "neighbouring", "1")]},
        headers=api.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "shares", 0, "right_type"]


def test_unknown_holder_in_shares(api: Api, client: TestClient) -> None:
    response = client.post(
        "/v1/recordings",
        json={
            "isrc": "RUA010600001",
            "title": "x",
            "artist": "y",
            "shares": [share("nobody", "neighbouring", "1")],
        },
        headers=api.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "shares", 0, "holder_id"]


def test_share_versions_and_territory_override(api: Api, session: Session) -> None:
    a, b, c = api.holder(), api.holder(), api.holder()
    api.work(
        ISWC,
        [
            share(a["id"], "mechanical", "1"),
            share(b["id"], "mechanical", "0.6", territory="US"),
            share(c["id"], "mechanical", "0.4", territory="US"),
        ],
    )
    response = api.client.put(
        f"/v1/works/{ISWC}/shares",
        json={"valid_from": "2007-01-01", "shares": [share(c["id"], "mechanical", "1")]},
        headers=api.admin,
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["share_versions"]) == 2

    def on(day: date, territory: str) -> dict[str, Decimal]:
        # What the sales path does: load the versions once, resolve per sale.
        versions = load_share_versions(session=session, assets=[(WORK, ISWC)])[(WORK, ISWC)]
        found = resolve_shares(versions, right_type="mechanical", territory=territory, on=day)
        return {s.holder_id: s.share for s in found or []}

    # 2006: WORLD gives a everything, but the US rows replace it in the US.
    assert on(date(2006, 11, 3), "RU") == {a["id"]: Decimal(1)}
    assert on(date(2006, 11, 3), "US") == {b["id"]: Decimal("0.6"), c["id"]: Decimal("0.4")}
    # From 2007 the new version applies everywhere (it has no US rows).
    assert on(date(2007, 1, 1), "US") == {c["id"]: Decimal(1)}
    assert on(date(2006, 12, 31), "RU") == {a["id"]: Decimal(1)}
    # A second version from the same date conflicts.
    again = api.client.put(
        f"/v1/works/{ISWC}/shares",
        json={"valid_from": "2007-01-01", "shares": []},
        headers=api.admin,
    )
    assert again.status_code == 409


def test_recording_links_its_work_later(api: Api) -> None:
    label = api.holder(kind="label")
    api.work(ISWC, [])
    rec = api.recording("RU-A01-06-00001", [share(label["id"], "neighbouring", "1")])
    assert rec["isrc"] == "RUA010600001"
    assert rec["iswc"] is None
    response = api.client.patch(
        "/v1/recordings/RUA010600001", json={"iswc": "T0345246801"}, headers=api.admin
    )
    assert response.status_code == 200
    assert response.json()["iswc"] == ISWC
    listed = api.get("/v1/recordings", iswc=ISWC).json()["data"]
    assert [r["isrc"] for r in listed] == ["RUA010600001"]
    missing = api.client.patch(
        "/v1/recordings/RUA010600001", json={"iswc": "T-070.000.000-5"}, headers=api.admin
    )
    assert missing.status_code == 404


def test_lists_paginate_with_cursors(api: Api) -> None:
    for n in range(5):
        api.recording(f"RUA01060000{n}", [])
    first = api.get("/v1/recordings", limit=2).json()
    second = api.get("/v1/recordings", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/v1/recordings", limit=2, cursor=second["next_cursor"]).json()
    seen = [r["isrc"] for page in (first, second, third) for r in page["data"]]
    assert seen == [f"RUA01060000{n}" for n in range(5)]
    assert third["next_cursor"] is None
    assert api.get("/v1/recordings", limit=1001).status_code == 422
    assert api.get("/v1/recordings", cursor="%%%").status_code == 422


def test_identifiers_in_paths_are_normalized_and_malformed_ones_are_404(
    api: Api, client: TestClient
) -> None:
    api.recording("RUA010600077", [])
    api.work("T-034.524.680-1", [])
    assert api.get("/v1/recordings/ru-a01-06-00077").json()["isrc"] == "RUA010600077"
    assert api.get("/v1/works/T0345246801").json()["iswc"] == "T-034.524.680-1"
    for method, path in [
        ("GET", "/v1/recordings/not-an-isrc"),
        ("PATCH", "/v1/recordings/not-an-isrc"),
        ("PUT", "/v1/recordings/not-an-isrc/shares"),
        ("GET", "/v1/works/T-034.524.680-2"),  # wrong check digit
        ("PUT", "/v1/works/T-034.524.680-2/shares"),
    ]:
        body = {"shares": [], "valid_from": "2007-01-01"} if method == "PUT" else {}
        response = client.request(method, path, json=body, headers=api.admin)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "not_found"
        assert "not a valid" in response.json()["detail"]

"""Societies, stores, rights holders and mandates."""

from fastapi.testclient import TestClient

from tests.factories import Api


def test_society_fields_roundtrip(api: Api) -> None:
    soc = api.society(
        code="ROMS",
        right_types=["performance", "mechanical"],
        payout_threshold="100",
        dpid="padpida2011072101t",
    )
    assert soc == {
        "code": "ROMS",
        "name": "A collecting society",
        "country": "RU",
        "currency": "RUB",
        "right_types": ["mechanical", "performance"],
        "commission_rate": "0.15",
        "extended_collective_licensing": False,
        "payout_threshold": "100",
        "dpid": "PADPIDA2011072101T",
        "dsr_name": "ROMS",
    }
    assert api.get("/v1/societies", country="RU").json()["data"] == [soc]


def test_two_ecl_societies_for_one_country_and_right_conflict(api: Api, client: TestClient) -> None:
    api.society(code="ROMS", extended_collective_licensing=True, right_types=["mechanical"])
    api.society(code="FAIR", extended_collective_licensing=True, right_types=["neighbouring"])
    response = client.post(
        "/v1/societies",
        json={
            "code": "RAO",
            "name": "RAO",
            "country": "RU",
            "currency": "RUB",
            "right_types": ["mechanical", "performance"],
            "commission_rate": "0.2",
            "extended_collective_licensing": True,
        },
        headers=api.admin,
    )
    assert response.status_code == 409
    assert response.json()["party"] == "society:ROMS"


def test_holder_identifiers_are_validated(api: Api, client: TestClient) -> None:
    holder = api.holder(ipi="00033188001", isni="0000000121032683", currency="RUB")
    assert (holder["ipi"], holder["isni"], holder["currency"]) == (
        "00033188001",
        "0000000121032683",
        "RUB",
    )
    assert api.holder()["currency"] == "USD"
    bad = client.post(
        "/v1/rights-holders",
        json={"name": "x", "kind": "composer", "ipi": "00033188002", "isni": "0000000121032684"},
        headers=api.admin,
    )
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["errors"]} == {("body", "ipi"), ("body", "isni")}
    dup = client.post(
        "/v1/rights-holders",
        json={"name": "y", "kind": "composer", "ipi": "00033188001"},
        headers=api.admin,
    )
    assert dup.status_code == 409


def test_mandate_needs_a_right_the_society_administers(api: Api, client: TestClient) -> None:
    api.society(code="ROMS", right_types=["mechanical"])
    holder = api.holder()
    ok = api.mandate(
        holder_id=holder["id"],
        society_code="ROMS",
        right_type="mechanical",
        territories=["RU", "ua"],
    )
    assert ok["territories"] == ["RU", "UA"]
    wrong = client.post(
        "/v1/mandates",
        json={
            "holder_id": holder["id"],
            "society_code": "ROMS",
            "right_type": "neighbouring",
            "territories": ["RU"],
            "valid_from": "2006-01-01",
        },
        headers=api.admin,
    )
    assert wrong.status_code == 422
    overlapping = client.post(
        "/v1/mandates",
        json={
            "holder_id": holder["id"],
            "society_code": "ROMS",
            "right_type": "mechanical",
            "territories": ["WORLD"],
            "valid_from": "2010-01-01",
        },
        headers=api.admin,
    )
    assert overlapping.status_code == 409


def test_mandates_are_scoped_to_their_parties(api: Api, client: TestClient) -> None:
    api.society(code="ROMS")
    api.society(code="HFA", country="US", currency="USD")
    a, b = api.holder(), api.holder()
    api.mandate(holder_id=a["id"], society_code="ROMS", right_type="mechanical")
    api.mandate(holder_id=b["id"], society_code="HFA", right_type="mechanical")
    roms = {"Authorization": f"Bearer {api.key('society', 'ROMS')}"}
    seen = client.get("/v1/mandates", headers=roms).json()["data"]
    assert [m["holder_id"] for m in seen] == [a["id"]]
    holder_b = {"Authorization": f"Bearer {api.key('rights_holder', b['id'])}"}
    seen = client.get("/v1/mandates", headers=holder_b).json()["data"]
    assert [m["society_code"] for m in seen] == ["HFA"]

"""Parties' DDEX identity for DSR files (issue 11): ``dpid`` and ``dsr_name``."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from service.parties.models import RightsHolder, Society
from tests.factories import Api


@pytest.mark.parametrize(
    ("dpid", "message"),
    [
        ("PADPIDA2011072101X", "wrong check character"),  # Spotify's DPID ends in T
        ("PADPIDA201107210T", "PADPIDA + 10 characters"),
        ("DPID2011072101T", "PADPIDA + 10 characters"),
        ("PADPIDA 2011072101T", "PADPIDA + 10 characters"),
    ],
)
def test_a_bad_dpid_is_a_problem_and_writes_nothing(
    api: Api, client: TestClient, session: Session, dpid: str, message: str
) -> None:
    before = session.exec(select(func.count()).select_from(Society)).one()
    body = {
        "code": "ROMS",
        "name": "ROMS",
        "country": "RU",
        "currency": "RUB",
        "right_types": ["mechanical"],
        "commission_rate": "0.15",
        "dpid": dpid,
    }
    response = client.post("/v1/societies", json=body, headers=api.admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.text
    assert session.exec(select(func.count()).select_from(Society)).one() == before


@pytest.mark.parametrize("name", ["A society", "ROMS_RU", "", "-x"])
def test_a_dsr_name_with_spaces_or_underscores_is_refused(api: Api, name: str) -> None:
    api.post(
        "/v1/rights-holders",
        {"name": "Kalinka", "kind": "publisher", "dsr_name": name},
        expect=422,
    )


def test_dsr_name_defaults_to_the_party_code(api: Api, session: Session) -> None:
    society = api.society(code="RAO_MOS", dpid=None)
    assert (society["dpid"], society["dsr_name"]) == (None, "RAO-MOS")  # `_` separates elements
    holder = api.holder(dpid=None)
    assert holder["dsr_name"] == holder["id"]
    named = api.holder(dsr_name="Kalinka.Music")
    stored = session.get(RightsHolder, named["id"])
    assert stored is not None and stored.dsr_name == "Kalinka.Music"


def test_openapi_documents_the_dsr_identity(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("SocietyCreate", "RightsHolderCreate"):
        props = schemas[name]["properties"]
        assert {"dpid", "dsr_name"} <= set(props)
    example = schemas["SocietyCreate"]["examples"][0]
    assert example["dpid"] == "PADPIDA2011072101T" and example["dsr_name"] == "ROMS"

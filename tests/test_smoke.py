from tests.factories import Api


def test_healthz(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_society_roundtrip(api: Api) -> None:
    soc = api.society(code="ROMS")
    assert soc["commission_rate"] == "0.15"
    assert api.get("/v1/societies/ROMS").json()["code"] == "ROMS"

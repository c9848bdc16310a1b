"""The demo's DSR files (what a new user downloads first) conform to the standard: its
societies and directly-paid holders carry DDEX Party IDs, so HEAD names the recipient."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.demo import load_demo
from tests.dsr_conformance.served import conforming_dsr
from tests.factories import bearer


def test_every_demo_statement_dsr_conforms(client: TestClient, session: Session) -> None:
    credentials = load_demo(session)
    session.flush()
    admin = bearer(credentials["ADMIN"])
    statements = client.get(
        "/v1/statements", params={"period": "2006-10", "limit": 1000}, headers=admin
    ).json()["data"]
    assert statements
    for statement in statements:
        served = client.get(
            f"/v1/statements/{statement['id']}", params={"format": "dsr"}, headers=admin
        )
        conforming_dsr(served)

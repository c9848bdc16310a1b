"""A real month through the sales endpoint, closed: two societies and a holder paid
directly (the world of tests/statements/test_end_to_end.py: RU and US downloads priced in
USD, ROMS paid in RUB, so FX conversions are included), and a way to tamper behind the
service's back."""

import base64
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from service.client.api import LedgerClient
from tests.factories import Api, bearer
from tests.statements.test_end_to_end import World
from tests.statements.test_end_to_end import world as world


@dataclass
class Month:
    client: TestClient
    api: Api
    world: World
    statement: dict[str, Any]  # ROMS's
    society_token: str
    public_key: str

    def society(self) -> LedgerClient:
        return LedgerClient(token=self.society_token, client=self.client)


def post_sales(
    client: TestClient, world: World, count: int, *, day: str = "2006-11-03"
) -> list[Any]:
    """``count`` downloads of R1 on ``day``, alternately in RU and the US."""
    sales = [
        {
            "sale_id": f"{day}-{i}",
            "isrc": world.r1,
            "territory": ("RU", "US")[i % 2],
            "sold_at": f"{day}T10:00:00Z",
            "quantity": 1 + i % 3,
            "unit_price": "0.99",
            "currency": "USD",
        }
        for i in range(count)
    ]
    response = client.post("/v1/sales", json={"sales": sales}, headers=bearer(world.store_token))
    assert response.status_code == 200, response.text
    results = list(response.json()["results"])
    assert {r["status"] for r in results} == {"recorded"}, response.text
    return results


@pytest.fixture
def month(client: TestClient, api: Api, world: World) -> Month:
    post_sales(client, world, 5, day="2006-11-03")
    post_sales(client, world, 4, day="2006-11-20")  # another USD->RUB rate
    closed = client.post("/v1/periods/2006-11/close", headers=api.admin)
    assert closed.status_code == 201, closed.text
    token = api.key("society", world.roms)
    [statement] = client.get("/v1/statements", headers=bearer(token)).json()["data"]
    key = client.get("/v1/transparency/key").json()["public_key"]
    assert len(base64.b64decode(key)) == 32
    return Month(client, api, world, statement, token, key)


def without_guards(connection: Connection, *tables: str) -> None:
    """Drop the append-only triggers for the rest of the test's transaction (rolled back)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        return
    for table in tables:
        for action in ("update", "delete"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{action}")

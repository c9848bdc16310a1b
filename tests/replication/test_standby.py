"""Read routing against a real hot standby (PostgreSQL streaming replication).

- a statement closed on the primary is pulled from the standby, byte for byte the same
  as from the primary (JSON, CSV, DSR), and the standby did serve it;
- with replay paused (a lagging standby), what it has not replayed yet — a new month's
  statements, a new takedown — is served from the primary, never stale or missing;
- the standby as an app's only database answers every GET: a standby refuses every
  write, so no GET writes.
"""

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, bearer
from tests.replication.conftest import Standby
from tests.replication.world import answered_status, build_world, every_get, fetch
from tests.takedowns.conftest import evidence


def _count_queries(client: TestClient) -> list[str]:
    """Statements the routed app runs on its replica, recorded as they run."""
    seen: list[str] = []
    (engine,) = client.app.state.replicas.engines  # type: ignore[attr-defined]

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    return seen


def test_a_closed_statement_is_pulled_from_the_standby_byte_for_byte(
    standby: Standby, clients: dict[str, TestClient]
) -> None:
    routed, primary = clients["routed"], clients["primary"]
    world = build_world(routed, Api(routed, ADMIN_TOKEN))
    standby.wait_for_replay()
    on_replica = _count_queries(routed)
    society = bearer(world.tokens["society"])
    for statement in world.statements:
        for fmt in ("json", "csv", "dsr"):
            url = f"/v1/statements/{statement['id']}?format={fmt}"
            before = len(on_replica)
            pulled = routed.get(url, headers=bearer(world.tokens["admin"]))
            assert pulled.status_code == 200, pulled.text
            assert len(on_replica) > before, f"{url} was not read from the standby"
            reference = primary.get(url, headers=bearer(world.tokens["admin"]))
            assert pulled.content == reference.content
            assert pulled.headers["ETag"] == reference.headers["ETag"]
    listed = routed.get("/v1/statements?period=2006-11", headers=society)
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1


def _december(routed: TestClient, world: Any) -> None:
    sale = {
        "sale_id": "rw-dec-1",
        "isrc": world.ids["isrc"],
        "territory": "RU",
        "sold_at": "2006-12-02T10:00:00Z",
        "quantity": 1,
        "unit_price": "15.00",
        "currency": "RUB",
    }
    posted = routed.post("/v1/sales", json=sale, headers=bearer(world.tokens["store"]))
    assert posted.status_code in (200, 201), posted.text
    closed = routed.post("/v1/periods/2006-12/close", headers=bearer(ADMIN_TOKEN))
    assert closed.status_code == 201, closed.text


def test_a_lagging_standby_falls_back_to_the_primary(
    standby: Standby, clients: dict[str, TestClient]
) -> None:
    routed = clients["routed"]
    world = build_world(routed, Api(routed, ADMIN_TOKEN))
    standby.wait_for_replay()
    standby.pause()
    _december(routed, world)
    filed = routed.post(
        "/v1/takedowns",
        json={
            "isrc": world.ids["isrc"],
            "territories": ["DE"],
            "claimant_holder_id": world.ids["holder"],
            "evidence": evidence(),
        },
        headers=bearer(world.tokens["holder"]),
    )
    assert filed.status_code == 201, filed.text
    # The standby really lags: it has neither December's close nor the new takedown.
    assert standby.on_replica("SELECT max(period) FROM period_close") == "2006-11"
    assert standby.on_replica("SELECT count(*) FROM takedown") == 1

    society, holder = bearer(world.tokens["society"]), bearer(world.tokens["holder"])
    listed = routed.get("/v1/statements?period=2006-12", headers=society)
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1
    december = listed.json()["data"][0]["id"]
    for fmt in ("json", "csv", "dsr"):
        got = routed.get(f"/v1/statements/{december}?format={fmt}", headers=society)
        assert got.status_code == 200, got.text
    remittance = routed.get("/v1/royalties?period=2006-12", headers=holder)
    assert remittance.status_code == 200 and remittance.json()["data"]
    mine = routed.get(f"/v1/takedowns/{filed.json()['id']}", headers=holder)
    assert mine.status_code == 200, mine.text
    assert len(routed.get("/v1/takedowns", headers=holder).json()["data"]) == 2

    standby.resume()
    standby.wait_for_replay()
    assert standby.on_replica("SELECT max(period) FROM period_close") == "2006-12"


def test_the_standby_refuses_writes_and_answers_every_get(
    standby: Standby, clients: dict[str, TestClient]
) -> None:
    routed, on_standby = clients["routed"], clients["standby"]
    world = build_world(routed, Api(routed, ADMIN_TOKEN))
    standby.wait_for_replay()
    refused = on_standby.post(
        "/v1/stores",
        json={"code": "ro-store", "name": "x", "country": "RU"},
        headers=bearer(ADMIN_TOKEN),
    )
    # "cannot execute INSERT in a read-only transaction": the database's state, not a bug
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "read_only"
    # ... and readiness says so, so that a load balancer stops sending writes there.
    ready = on_standby.get("/readyz")
    assert ready.status_code == 503 and "refuses writes" in ready.json()["detail"], ready.text
    failures = []
    for get in every_get(world):
        response = fetch(on_standby, world, get)
        if response.status_code != answered_status(get):
            failures.append((get.url, response.status_code, response.text[:200]))
    assert failures == []

"""Crash consistency (issue #10): the real server on a private PostgreSQL database,
killed with SIGKILL in the middle of sales batches from several clients, and in the
middle of a close; after a restart nothing answered is lost or doubled, a replay records
exactly what is missing, the chain verifies and balances equal the recorded royalties."""

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import ADMIN_TOKEN
from tests.factories import bearer, isrc
from tests.hardening.live import Live, free_port, start

CLIENTS, BATCHES, ROWS = 3, 6, 100
UNIT = Decimal("0.01")  # per-unit tariff: every sale books exactly this to the holder


@pytest.fixture
def url(pg_isolated_url: str) -> str:
    return pg_isolated_url


def admin(live: Live) -> httpx.Client:
    return httpx.Client(base_url=live.url, headers=bearer(ADMIN_TOKEN), timeout=60)


def arrange(live: Live) -> dict[str, str]:
    with admin(live) as client:

        def post(path: str, body: Any) -> Any:
            response = client.post(path, json=body)
            assert response.status_code == 201, response.text
            return response.json()

        holder = post("/v1/rights-holders", {"name": "H", "kind": "label", "currency": "USD"})
        post(
            "/v1/tariffs",
            {
                "territory": "RU",
                "right_type": "neighbouring",
                "currency": "USD",
                "valid_from": "2000-01-01",
                "per_unit": str(UNIT),
            },
        )
        code = isrc()
        share = {
            "holder_id": holder["id"],
            "right_type": "neighbouring",
            "share": "1",
            "territory": "WORLD",
        }
        post("/v1/recordings", {"isrc": code, "title": "T", "artist": "A", "shares": [share]})
        post("/v1/stores", {"code": "crashstore", "name": "S", "country": "RU"})
        token = post("/v1/api-keys", {"role": "store", "subject": "crashstore"})["token"]
    return {"holder": holder["id"], "isrc": code, "token": token}


def batch(world: dict[str, str], client: int, number: int) -> list[dict[str, Any]]:
    return [
        {
            "sale_id": f"c{client}-b{number}-{row}",
            "isrc": world["isrc"],
            "territory": "RU",
            "sold_at": "2006-11-03T10:00:00Z",
            "quantity": 1,
            "unit_price": "0.99",
            "currency": "USD",
        }
        for row in range(ROWS)
    ]


def post_until_killed(
    live: Live, world: dict[str, str], client: int, answered: set[str], sent: list[int]
) -> None:
    with httpx.Client(base_url=live.url, headers=bearer(world["token"]), timeout=60) as http:
        for number in range(BATCHES):
            sent.append(number)
            try:
                response = http.post("/v1/sales", json={"sales": batch(world, client, number)})
            except httpx.TransportError:
                return  # the server died under this batch
            assert response.status_code == 200, response.text
            answered.update(
                r["sale_id"]
                for r in response.json()["results"]
                if r["status"] in ("recorded", "duplicate")
            )


def stored(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT sale_id, count(*) FROM sale GROUP BY sale_id")).all()
    engine.dispose()
    return {sale_id: n for sale_id, n in rows}


@pytest.fixture
def restartable(url: str) -> Iterator[list[Live]]:
    servers: list[Live] = []
    yield servers
    for live in servers:
        live.process.kill()
        live.process.wait(timeout=10)


def test_sigkill_mid_batch_loses_nothing_answered_and_doubles_nothing(
    url: str, restartable: list[Live]
) -> None:
    port = free_port()
    restartable.append(live := start(url, port))
    world = arrange(live)
    answered: set[str] = set()
    sent: list[list[int]] = [[] for _ in range(CLIENTS)]
    threads = [
        threading.Thread(target=post_until_killed, args=(live, world, c, answered, sent[c]))
        for c in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    while len(answered) < ROWS * CLIENTS and any(t.is_alive() for t in threads):
        time.sleep(0.02)
    live.process.kill()  # SIGKILL, with batches in flight
    for thread in threads:
        thread.join(timeout=60)
    before = stored(url)
    assert answered <= set(before), "a sale answered as recorded is missing"
    assert set(before.values()) <= {1}, "a sale is stored twice"
    assert len(before) < CLIENTS * BATCHES * ROWS, "the kill landed after every batch"

    restartable.append(live := start(url, port))
    royalties = Decimal(0)
    recorded = 0
    with httpx.Client(base_url=live.url, headers=bearer(world["token"]), timeout=60) as http:
        for c in range(CLIENTS):
            for number in sent[c]:
                result = http.post("/v1/sales", json={"sales": batch(world, c, number)}).json()
                recorded += result["recorded"]
                for row in result["results"]:
                    assert row["status"] in ("recorded", "duplicate"), row
                    assert (row["status"] == "duplicate") == (row["sale_id"] in before)
                    royalties += sum(Decimal(r["amount"]) for r in row["royalties"])
    after = stored(url)
    assert recorded == len(after) - len(before)
    assert set(after.values()) == {1}
    with admin(live) as client:
        assert client.get("/v1/ledger/verify").json()["ok"] is True
        holder = client.get("/v1/balances", params={"party": f"holder:{world['holder']}"})
        balance = {b["currency"]: Decimal(b["amount"]) for b in holder.json()["balances"]}
    assert balance["USD"] == royalties == UNIT * len(after)


def test_sigkill_during_close_leaves_the_month_open_or_closed_whole(
    url: str, restartable: list[Live]
) -> None:
    port = free_port()
    restartable.append(live := start(url, port))
    world = arrange(live)
    with httpx.Client(base_url=live.url, headers=bearer(world["token"]), timeout=60) as http:
        for number in range(3):
            assert (
                http.post("/v1/sales", json={"sales": batch(world, 0, number)}).status_code == 200
            )

    def close() -> None:
        try:
            with admin(live) as client:
                client.post("/v1/periods/2006-11/close")
        except httpx.TransportError:
            pass

    closing = threading.Thread(target=close)
    closing.start()
    time.sleep(0.05)
    live.process.kill()
    closing.join(timeout=60)

    restartable.append(live := start(url, port))
    with admin(live) as client:
        assert client.get("/v1/ledger/verify").json()["ok"] is True
        again = client.post("/v1/periods/2006-11/close")
        assert again.status_code in (200, 201), again.text
        period = again.json()
        head = period["ledger_head"]
        assert client.get("/v1/ledger/verify").json()["ok"] is True
        statements = client.get("/v1/statements", params={"period": "2006-11"}).json()["data"]
    assert statements, "a closed month has its statements"
    assert {s["ledger_head"]["hash"] for s in statements} == {head["hash"]}
    holder = [s for s in statements if s["party"] == f"holder:{world['holder']}"]
    assert Decimal(holder[0]["balance_exact"]) == UNIT * 3 * ROWS

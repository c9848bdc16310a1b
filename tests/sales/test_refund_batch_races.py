"""Refund batches racing on PostgreSQL (real commits from several connections): never more
units refunded than sold, and a retried batch is answered as a duplicate, not refused."""

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, isrc, share
from tests.sales.conftest import a_sale

D = Decimal


def _setup(app: Any, quantity: int) -> tuple[str, str, str]:
    """A store's token, its sale of ``quantity`` units and the one holder it pays."""
    with TestClient(app) as setup:
        api = Api(setup, ADMIN_TOKEN)
        code = api.store()["code"]
        token = api.key("store", code)
        holder = api.holder()["id"]
        recording = isrc()
        api.recording(recording, [share(holder, "neighbouring", "1")])
        api.tariff(
            territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25"
        )
        sale = a_sale(recording, quantity=quantity, unit_price="0.99")
        response = setup.post("/v1/sales", json=sale, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
    return token, sale["sale_id"], holder


def _race(app: Any, token: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    start = threading.Barrier(len(bodies))
    outcomes: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def post(body: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                with TestClient(app) as client:
                    start.wait()
                    response = client.post(
                        "/v1/refunds", json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                    assert response.status_code == 200, response.text
                    outcomes.append(response.json())
            except BaseException as exc:  # surfaced below, in the test's thread
                errors.append(exc)

        return run

    workers = [threading.Thread(target=post(body)) for body in bodies]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    return outcomes


def _refunded(engine: Any) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT coalesce(sum(quantity), 0) FROM refund")).scalar_one()
        )


def _verified_balance(app: Any, party: str) -> D:
    with TestClient(app) as client:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert client.get("/v1/ledger/verify", headers=admin).json()["ok"] is True
        body = client.get("/v1/balances", params={"party": party}, headers=admin).json()
    return sum((D(b["amount"]) for b in body["balances"]), D(0))


def test_racing_batches_never_refund_more_units_than_sold(isolated_app: Any) -> None:
    app, engine = isolated_app
    token, sale_id, holder = _setup(app, quantity=5)
    at = "2006-11-20T00:00:00Z"
    bodies = [
        {"refunds": [{"sale_id": sale_id, "refund_id": f"r-{n}", "quantity": 2, "refunded_at": at}]}
        for n in range(6)
    ]

    outcomes = _race(app, token, bodies)

    assert sorted(o["recorded"] for o in outcomes) == [0, 0, 0, 0, 1, 1]
    refused = [o["results"][0]["error"] for o in outcomes if o["rejected"]]
    assert {e["code"] for e in refused} == {"refund_exceeds_sale"}
    assert _refunded(engine) == 4
    # 5 units at 0.99, 25 %, all to the holder; 4 of them reversed: 1 unit's worth is left.
    assert _verified_balance(app, f"holder:{holder}") == D("0.2475")


def test_a_retried_batch_racing_its_first_try_is_a_duplicate(isolated_app: Any) -> None:
    """The last unit refunded twice at once under one refund_id: one records it and the
    other, which read before the first committed, answers duplicate (not exceeds)."""
    app, engine = isolated_app
    token, sale_id, holder = _setup(app, quantity=1)
    row = {
        "sale_id": sale_id,
        "refund_id": "r-1",
        "quantity": 1,
        "refunded_at": "2006-11-20T00:00:00Z",
    }

    outcomes = _race(app, token, [{"refunds": [row]} for _ in range(6)])

    assert sorted((o["recorded"], o["duplicates"], o["rejected"]) for o in outcomes) == [
        (0, 1, 0)
    ] * 5 + [(1, 0, 0)]
    first = next(o for o in outcomes if o["recorded"])["results"][0]
    assert all(o["results"][0]["royalties"] == first["royalties"] for o in outcomes)
    assert _refunded(engine) == 1
    assert _verified_balance(app, f"holder:{holder}") == 0

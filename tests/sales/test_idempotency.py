"""A sale_id counts once per store: replays, conflicts, repeats in a batch, and a race."""

import threading
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale, counts


def sale_transactions(session: Session, store: Store, sale_id: str) -> int:
    return session.execute(
        sa.text("SELECT count(*) FROM ledger_transaction WHERE reference = :r"),
        {"r": f"sale:{store.code}/{sale_id}"},
    ).scalar_one()


def test_replay_returns_the_first_result_and_writes_nothing(
    store: Store, recording: str, session: Session
) -> None:
    sale = a_sale(recording)
    first = store.one(sale, expect=201)
    before = counts(session)

    # The same sale written differently: hyphenated ISRC, another price notation, offset time.
    hyphenated = f"{recording[:2]}-{recording[2:5]}-{recording[5:7]}-{recording[7:]}"
    same = {
        **sale,
        "isrc": hyphenated,
        "unit_price": "0.1000",
        "sold_at": "2006-11-03T13:00:00+03:00",
    }
    again = store.one(same, expect=200)
    in_batch = store.batch([sale])["results"][0]

    assert first["status"] == "recorded"
    assert again == {**first, "status": "duplicate"}
    assert in_batch == again
    assert counts(session) == before
    assert sale_transactions(session, store, sale["sale_id"]) == 1


def test_same_id_other_content_is_a_conflict(
    store: Store, recording: str, session: Session
) -> None:
    sale = a_sale(recording)
    store.one(sale)
    before = counts(session)

    response = store.post({**sale, "quantity": 2})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "quantity" in response.json()["detail"]

    result = store.batch([{**sale, "sold_at": "2006-11-03T10:00:01Z"}])["results"][0]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "conflict"
    assert counts(session) == before


def test_same_sale_id_in_two_stores_is_two_sales(
    store: Store, other_store: Store, recording: str
) -> None:
    sale = a_sale(recording)
    assert store.one(sale)["status"] == "recorded"
    assert other_store.one(sale)["status"] == "recorded"


def test_repeats_inside_one_batch(store: Store, recording: str, session: Session) -> None:
    sale = a_sale(recording)
    body = store.batch([sale, sale, {**sale, "quantity": 5}])
    statuses = [(r["status"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert statuses == [("recorded", None), ("duplicate", None), ("rejected", "conflict")]
    assert body["results"][1]["royalties"] == body["results"][0]["royalties"]
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (1, 1, 1)
    assert sale_transactions(session, store, sale["sale_id"]) == 1


def test_a_rejected_row_is_not_remembered(store: Store, api: Api, recording: str) -> None:
    sale = a_sale(recording, territory="FR")
    assert store.post(sale).status_code == 451  # no tariff in FR yet
    api.tariff(territory="FR", right_type="neighbouring", currency="EUR", percent_of_gross="0.1")
    assert store.one(sale)["status"] == "recorded"


# --- the race: many connections posting the same batch at once (PostgreSQL) ------------------


def test_racing_identical_batches_record_each_sale_once(isolated_app: Any) -> None:
    app, engine = isolated_app
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
    batch = {"sales": [a_sale(recording, sale_id=f"race-{n}") for n in range(25)]}
    threads, start = 8, threading.Barrier(8)
    outcomes: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            with TestClient(app) as client:
                start.wait()
                response = client.post(
                    "/v1/sales", json=batch, headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code == 200, response.text
                outcomes.append(response.json())
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=post) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors

    assert sorted(o["recorded"] for o in outcomes) == [0] * (threads - 1) + [25]
    assert all(o["duplicates"] == 25 for o in outcomes if o["recorded"] == 0)
    first = next(o for o in outcomes if o["recorded"] == 25)["results"]
    for outcome in outcomes:
        assert [r["royalties"] for r in outcome["results"]] == [r["royalties"] for r in first]
    with engine.connect() as conn:
        sales = conn.execute(sa.text("SELECT count(*) FROM sale")).scalar_one()
        per_sale = conn.execute(
            sa.text(
                "SELECT reference, count(*) FROM ledger_transaction WHERE kind = 'sale' "
                "GROUP BY reference"
            )
        ).all()
    assert sales == 25
    assert len(per_sale) == 25 and all(n == 1 for _, n in per_sale)
    with TestClient(app) as client:
        verify = client.get("/v1/ledger/verify", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert verify.json()["ok"] is True
        assert verify.json()["transactions"] == 25

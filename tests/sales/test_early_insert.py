"""Sales are inserted before the chain lock (``service.sales.recording``, step 3): what
must still hold when batches race, when the catalog changes before the lock, and when a
takedown withdraws a row that was already inserted."""

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.sales import recording as recording_module
from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale, counts


def _store_with_recording(client: TestClient) -> tuple[str, str]:
    api = Api(client, ADMIN_TOKEN)
    code = api.store()["code"]
    token = api.key("store", code)
    recording_isrc = isrc()
    api.recording(recording_isrc, [share(api.holder()["id"], "neighbouring", "1")])
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    return token, recording_isrc


def test_batches_racing_on_the_same_sale_ids_in_opposite_orders_never_deadlock(
    isolated_app: Any,
) -> None:
    """Each sale_id recorded once, the other batch answered duplicate, no error: rows are
    inserted in sale_id order, so both batches wait for each other in the same order."""
    app, engine = isolated_app
    with TestClient(app) as setup:
        token, recording_isrc = _store_with_recording(setup)
    sales = [a_sale(recording_isrc, sale_id=f"race-{n:04d}") for n in range(400)]
    bodies = [{"sales": sales}, {"sales": sales[::-1]}]
    start = threading.Barrier(len(bodies))
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def post(body: dict[str, Any]) -> None:
        try:
            with TestClient(app, raise_server_exceptions=True) as client:
                start.wait()
                response = client.post(
                    "/v1/sales", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code == 200, response.text
                answers.append(response.json())
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    assert sorted((a["recorded"], a["duplicates"]) for a in answers) == [(0, 400), (400, 0)]
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM sale")).scalar_one()
        transactions = conn.execute(
            sa.text("SELECT count(*) FROM ledger_transaction WHERE kind = 'sale'")
        ).scalar_one()
    assert (stored, transactions) == (400, 400)
    with TestClient(app) as client:
        verified = client.get(
            "/v1/ledger/verify", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ).json()
    assert verified["ok"] is True


def test_a_catalog_change_before_the_lock_prices_and_inserts_again(
    store: Store, session: Session, monkeypatch: pytest.MonkeyPatch, recording: str
) -> None:
    """The token read under the lock differs once: the early insert is rolled back and the
    batch is priced and inserted again, so every row is recorded once (not a duplicate of
    its own first insert)."""
    reads: list[str | None] = []
    real = recording_module.read_token

    def changed_once(session: Session) -> str | None:
        token = real(session)
        reads.append(token)
        return "changed" if len(reads) == 1 else token

    monkeypatch.setattr(recording_module, "read_token", changed_once)
    before = counts(session)
    body = store.batch([a_sale(recording) for _ in range(3)])
    assert len(reads) == 1, reads  # under the lock, once: the second attempt is locked
    assert body["recorded"] == 3 and body["duplicates"] == 0, body
    after = counts(session)
    assert after["sale"] - before["sale"] == 3


def test_a_withdrawn_row_inserted_before_the_lock_is_deleted_again(
    store: Store, session: Session, monkeypatch: pytest.MonkeyPatch, recording: str
) -> None:
    real = recording_module.withdrawn_sales

    def first_withdrawn(**kwargs: Any) -> dict[int, str]:
        found = dict(real(**kwargs))
        found[0] = "takedown-0"
        return found

    monkeypatch.setattr(recording_module, "withdrawn_sales", first_withdrawn)
    before = counts(session)
    sales = [a_sale(recording) for _ in range(3)]
    body = store.batch(sales)
    assert [r["status"] for r in body["results"]] == ["rejected", "recorded", "recorded"]
    assert body["results"][0]["error"]["code"] == "withdrawn"
    after = counts(session)
    assert after["sale"] - before["sale"] == 2
    assert store.get(f"/v1/sales/{sales[0]['sale_id']}").status_code == 404

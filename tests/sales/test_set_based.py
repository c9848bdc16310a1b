"""A batch costs a handful of SQL statements, however many rows it has."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from service.sales.pricing import generation
from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale, iswc


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def test_statements_do_not_grow_with_the_batch(
    api: Api, store: Store, statements: list[str]
) -> None:
    api.society(
        code="ROMS",
        country="RU",
        currency="RUB",
        right_types=["mechanical"],
        extended_collective_licensing=True,
    )
    api.tariff(
        territory="RU",
        right_type="mechanical",
        currency="USD",
        percent_of_gross="0.15",
        per_unit="0.01",
    )
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    api.fx("2006-11-01", "USD", "RUB", "26.7")
    holders = [api.holder()["id"] for _ in range(4)]
    recordings = []
    for n in range(8):
        work, recording = iswc(), isrc()
        api.work(work, [share(holders[n % 4], "mechanical", "0.5")])
        api.recording(recording, [share(holders[(n + 1) % 4], "neighbouring", "1")], iswc=work)
        recordings.append(recording)
    api.mandate(holder_id=holders[0], society_code="ROMS", right_type="mechanical")

    def cost(rows: int, *, cold: bool) -> int:
        sales = [
            a_sale(
                recordings[n % 8] if n % 5 else isrc(),  # every fifth recording unknown
                currency="RUB" if n % 2 else "USD",
                unit_price="2.70" if n % 2 else "0.10",
            )
            for n in range(rows)
        ]
        if cold:
            generation.clear()  # the per-process catalog cache: load everything again
        statements.clear()
        body = store.batch(sales)
        assert body["recorded"] == rows
        return len(statements)

    small, large = cost(10, cold=True), cost(150, cold=True)
    assert small == large, (small, large)
    # 25 before the insert moved ahead of the chain lock; +2: SAVEPOINT and its RELEASE;
    # +1: the date of the chain's last transaction (ledger/clock.py, issue #24).
    assert large <= 28, large
    # With the catalog cached (the same token), a batch only loads what it has not seen
    # (here: its new unknown ISRCs), and still not per row.
    warm_small, warm_large = cost(10, cold=False), cost(150, cold=False)
    assert warm_small == warm_large <= large, (warm_small, warm_large, large)
    statements.clear()
    store.batch([a_sale(recordings[0], sale_id=f"replay-{n}") for n in range(150)])
    replay_cost = len(statements)
    statements.clear()
    replay = store.batch([a_sale(recordings[0], sale_id=f"replay-{n}") for n in range(150)])
    assert replay["duplicates"] == 150
    assert len(statements) <= replay_cost


def test_a_batch_takes_the_chain_lock_once(api: Api, store: Store, statements: list[str]) -> None:
    """The lock row is read once per batch: booking months and the append share it."""
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    recording = isrc()
    api.recording(recording, [share(api.holder()["id"], "neighbouring", "1")])
    statements.clear()
    sales = [a_sale(recording) for _ in range(20)]
    body = store.batch(sales)
    assert body["recorded"] == 20
    locks = [s for s in statements if "FROM ledger_head" in s]
    assert len(locks) == 1, locks
    # A batch of replays records nothing: it never takes the lock (workers replaying
    # in parallel do not wait for each other).
    statements.clear()
    assert store.batch(sales)["duplicates"] == 20
    assert not [s for s in statements if "FROM ledger_head" in s]

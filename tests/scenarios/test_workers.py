"""Pricing on both cores: a forked worker's part is counted once, exactly as the parent
would have priced it, and a worker that fails never changes the answer."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from service.scenarios import workers
from tests.factories import bearer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@dataclass
class Seen:
    total: int = 0
    pids: set[int] = field(default_factory=set)

    def add(self, other: Self) -> None:
        self.total += other.total
        self.pids |= other.pids


def _sum(part: list[tuple[str, int]]) -> Seen:
    return Seen(sum(n for _, n in part), {os.getpid()})


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "WORKERS", 2)
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)


ITEMS = [(f"ISRC{n:08d}", n) for n in range(1, 2_001)]


def test_a_workers_part_is_counted_once(forking: None) -> None:
    found = workers.run_parts(_sum, ITEMS, key=lambda item: item[0])
    assert found.total == sum(range(1, 2_001))
    assert len(found.pids) == 2, "one part was priced in a forked worker"


def test_a_failing_worker_is_replaced_by_the_parent(forking: None) -> None:
    parent = os.getpid()

    def fails_in_a_worker(part: list[tuple[str, int]]) -> Seen:
        if os.getpid() != parent:
            raise RuntimeError("a worker that fails")
        return _sum(part)

    found = workers.run_parts(fails_in_a_worker, ITEMS, key=lambda item: item[0])
    assert found.total == sum(range(1, 2_001))
    assert found.pids == {parent}


def _report(client: TestClient, token: str) -> Any:
    body = {"period_from": "2006-03", "store": "allofmp3", "territory": "store_licence"}
    response = client.post("/v1/scenarios", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    found = response.json()
    return found["parties"], found["lines"], found["exceptions"], found["sales"]


def test_the_report_is_the_same_on_one_core_and_two(
    client: TestClient, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    one = _report(client, demo["ADMIN"])
    monkeypatch.setattr(workers, "WORKERS", 2)
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1)
    # A worker must never use the connection it inherited: it would interleave with the
    # parent's. Statements run by another process are written down (its memory is not
    # the test's).
    parent, trace = os.getpid(), tmp_path / "worker-statements"

    def outside_the_parent(*args: Any) -> None:
        if os.getpid() != parent:
            with trace.open("a") as out:
                out.write(f"{args[2]}\n")

    sa.event.listen(Engine, "before_cursor_execute", outside_the_parent)
    try:
        two = _report(client, demo["ADMIN"])
    finally:
        sa.event.remove(Engine, "before_cursor_execute", outside_the_parent)
    assert one[1], "the scenario re-prices something"
    assert two == one
    assert not trace.exists(), trace.read_text()

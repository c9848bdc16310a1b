"""Operations endpoints and the last-resort error handler: /metrics, /healthz, the 500."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from service.config import get_settings
from service.db import get_session
from service.engines import make_engine
from service.main import create_app
from tests.conftest import ADMIN_TOKEN, migrate
from tests.factories import Api, bearer
from tests.test_problems import SOCIETY, assert_problem

REQUESTS = "ledger_http_requests"  # the parser drops the counter's "_total"
LATENCY = "ledger_http_request_seconds"


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_by_route_and_status(api: Api, client: TestClient) -> None:
    ok = {"method": "GET", "route": "/v1/societies/{code}", "status": "200"}
    refused = {"method": "GET", "route": "/v1/societies/{code}", "status": "401"}
    timed = {"method": "GET", "route": "/v1/societies/{code}"}
    api.society(code="METR")
    before = _samples(client)

    for _ in range(2):
        assert api.get("/v1/societies/METR").status_code == 200
    assert client.get("/v1/societies/METR", headers=bearer("rl_nobody")).status_code == 401

    after = _samples(client)
    # Labelled by the route template, not the raw path, so the series stay few.
    assert _value(after, f"{REQUESTS}_total", **ok) - _value(before, f"{REQUESTS}_total", **ok) == 2
    refused_before = _value(before, f"{REQUESTS}_total", **refused)
    assert _value(after, f"{REQUESTS}_total", **refused) - refused_before == 1
    assert (
        _value(after, f"{LATENCY}_count", **timed) - _value(before, f"{LATENCY}_count", **timed)
        == 3
    )
    assert _value(after, f"{LATENCY}_sum", **timed) > _value(before, f"{LATENCY}_sum", **timed)
    raw = {"method": "GET", "route": "/v1/societies/METR", "status": "200"}
    assert _value(after, f"{REQUESTS}_total", **raw) == 0


def test_healthz_answers_ok_with_a_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_does_not_answer(app: FastAPI, tmp_path: Any) -> None:
    # A database file in a directory that does not exist: every connection attempt fails.
    unreachable = make_engine(f"sqlite:///{tmp_path / 'missing' / 'ledger.db'}")

    def broken_session() -> Iterator[Session]:
        with Session(unreachable) as session:
            yield session

    app.dependency_overrides[get_session] = broken_session
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/healthz")
    finally:
        app.dependency_overrides.clear()
        unreachable.dispose()
    body = assert_problem(response, 503)
    assert "database" in body["detail"]


@pytest.fixture
def committed_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of this pass's engine that requests really commit to."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'committed.db'}"
        migrate(url)
        return url
    return str(request.getfixturevalue("pg_isolated_url"))


@pytest.fixture
def fail_at_commit_after_a_write() -> Iterator[list[int]]:
    """Fails the request's commit once a society row is already in its transaction: the
    failure comes after the write, when only the rollback keeps it out."""
    seen: list[int] = []

    def boom(session: Session) -> None:
        if seen:
            return
        query = sa.text("SELECT count(*) FROM society WHERE code = 'BOOM'")
        seen.append(session.connection().execute(query).scalar_one())
        if seen[0]:
            raise RuntimeError("injected failure after the write")

    sa.event.listen(Session, "before_commit", boom)
    yield seen
    sa.event.remove(Session, "before_commit", boom)


def test_an_unexpected_error_is_a_500_problem_and_nothing_is_written(
    app: FastAPI,
    committed_url: str,
    monkeypatch: pytest.MonkeyPatch,
    fail_at_commit_after_a_write: list[int],
) -> None:
    # The service's own session dependency (service.db.get_session) on an app whose
    # settings name a database that requests really commit to.
    committing_app = create_app(get_settings().model_copy(update={"database_url": committed_url}))
    engine = committing_app.state.engine
    admin = bearer(ADMIN_TOKEN)
    try:
        with TestClient(committing_app, raise_server_exceptions=False) as client:
            response = client.post("/v1/societies", json={**SOCIETY, "code": "BOOM"}, headers=admin)
            body = assert_problem(response, 500)
            assert body["detail"] == "An unexpected error occurred; nothing was written."
            assert "injected" not in response.text  # no internals leak
            assert fail_at_commit_after_a_write == [1]  # the row was in the transaction
            assert client.get("/v1/societies/BOOM", headers=admin).status_code == 404
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM society")).scalar_one()
        assert count == 0
    finally:
        engine.dispose()

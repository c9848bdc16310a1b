"""Request ids, the JSON request log, /metrics, /healthz and /readyz, by real requests."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from service.config import Settings
from service.main import create_app
from service.telemetry.logs import REQUEST_LOGGER
from service.telemetry.readiness import expected_heads
from tests.conftest import ADMIN_TOKEN, ROOT
from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def recording(api: Api) -> str:
    holder = api.holder()["id"]
    code = isrc()
    api.recording(code, [share(holder, "neighbouring", "1")])
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    return code


@pytest.fixture
def request_log() -> Iterator[list[dict[str, object]]]:
    """Each request-log line, as the JSON the service writes to stderr."""
    logger = logging.getLogger(REQUEST_LOGGER)
    (json_handler,) = [h for h in logger.handlers if getattr(h, "_ledger_json", False)]
    lines: list[dict[str, object]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(json_handler.format(record)))

    collect = Collect()
    logger.addHandler(collect)
    yield lines
    logger.removeHandler(collect)


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trace-42.a:b"})
    assert given.headers["X-Request-ID"] == "trace-42.a:b"
    fresh = client.get("/healthz")
    assert len(fresh.headers["X-Request-ID"]) == 32
    # An id that could forge log lines or headers is replaced, not echoed.
    forged = client.get("/healthz", headers={"X-Request-ID": 'x" "level": "fake'})
    assert forged.headers["X-Request-ID"] not in ('x" "level": "fake', "")


def test_one_json_line_per_request_with_rows_and_no_token(
    client: TestClient, store: Store, recording: str, request_log: list[dict[str, object]]
) -> None:
    sales = [a_sale(recording), a_sale(recording, territory="XK")]
    response = client.post(
        "/v1/sales", json={"sales": sales}, headers={**store.headers, "X-Request-ID": "batch-1"}
    )
    assert response.status_code == 200, response.text
    (line,) = [entry for entry in request_log if entry["request_id"] == "batch-1"]
    assert line["route"] == "/v1/sales"
    assert line["method"] == "POST"
    assert line["status"] == 200
    assert line["rows_recorded"] == 1
    assert line["rows_rejected"] == 1
    assert line["caller_role"] == "store"
    assert isinstance(line["caller_key_id"], str) and line["caller_key_id"]
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO" and "time" in line
    assert store.token not in json.dumps(request_log)
    assert ADMIN_TOKEN not in json.dumps(request_log)


def test_metrics_count_requests_sales_batches_and_closes(
    client: TestClient, api: Api, store: Store, recording: str
) -> None:
    route = {"method": "POST", "route": "/v1/sales", "status": "200"}
    before = {
        "requests": sample("ledger_http_requests_total", **route),
        "recorded": sample("ledger_sales_rows_total", status="recorded", code=""),
        "invalid": sample("ledger_sales_rows_total", status="rejected", code="invalid"),
        "batches": sample("ledger_sales_batch_seconds_count"),
        "closes": sample("ledger_close_seconds_count"),
    }
    store.batch([a_sale(recording), a_sale(recording), a_sale(recording, quantity=0)])
    client.post("/v1/periods/2006-10/close", headers=api.admin)

    text = client.get("/metrics").text
    assert "ledger_db_pool_in_use" in text
    assert sample("ledger_http_requests_total", **route) == before["requests"] + 1
    assert sample("ledger_sales_rows_total", status="recorded", code="") == before["recorded"] + 2
    assert (
        sample("ledger_sales_rows_total", status="rejected", code="invalid")
        == before["invalid"] + 1
    )
    assert sample("ledger_sales_batch_seconds_count") == before["batches"] + 1
    assert sample("ledger_close_seconds_count") == before["closes"] + 1


def test_pool_in_use_reports_checked_out_connections(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'pool.db'}"))
    with app.state.engine.connect():
        assert sample("ledger_db_pool_in_use") == 1
    assert sample("ledger_db_pool_in_use") == 0


def test_without_a_database_neither_probe_is_ok(tmp_path: Path) -> None:
    missing = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'no-dir' / 'x.db'}"))
    with TestClient(missing) as client:
        # The contract: /healthz is 200 only while the service *and its database* are up.
        assert client.get("/healthz").status_code == 503
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert "does not answer" in ready.json()["detail"]


def _migrated(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = url
    command.upgrade(config, revision)


def test_readyz_needs_the_schema_at_head(tmp_path: Path, database_url: str) -> None:
    behind = f"sqlite:///{tmp_path / 'behind.db'}"
    _migrated(behind, "0005")
    with TestClient(create_app(Settings(database_url=behind))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "revision 0005" in detail and "alembic upgrade head" in detail
    assert all(head in detail for head in expected_heads())

    # The test database (SQLite, then PostgreSQL) is migrated to head: ready.
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        assert client.get("/readyz").json() == {"status": "ready"}

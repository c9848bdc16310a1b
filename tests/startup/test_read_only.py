"""A database that refuses writes (issue #24, break 8): /readyz is 503 so a load balancer
stops sending writes, and a write is a 503 problem (`read_only`), not a 500. PostgreSQL
with default_transaction_read_only set on the database; SQLite opened read-only. (A hot
standby: tests/replication/test_standby.py.)"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.conftest import ADMIN_TOKEN, migrate
from tests.factories import bearer


def _client(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url, admin_token=ADMIN_TOKEN, webhooks_worker=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


def _stores(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        count = int(conn.execute(sa.text("SELECT count(*) FROM store")).scalar_one())
    engine.dispose()
    return count


@pytest.fixture
def urls(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The database's URL as the service is first given it."""
    if database_url.startswith("sqlite"):
        migrate(f"sqlite:///{tmp_path / 'ro.db'}")
        yield f"sqlite:///{tmp_path / 'ro.db'}"
    else:
        yield str(request.getfixturevalue("pg_isolated_url"))


def _read_only(url: str) -> str:
    """Make the database refuse writes from now on; the URL to reach it then."""
    if url.startswith("sqlite"):
        return f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = sa.make_url(url).database
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    engine.dispose()
    return url  # new connections take the database's new default


def test_readiness_and_writes_on_a_read_only_database(urls: str) -> None:
    for client in _client(urls):
        assert client.get("/readyz").status_code == 200
    before = _stores(urls)
    for client in _client(_read_only(urls)):
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["code"] == "not_ready" and "refuses writes" in ready.json()["detail"]
        store = {"code": "ro-store", "name": "A store", "country": "RU"}
        refused = client.post("/v1/stores", json=store, headers=bearer(ADMIN_TOKEN))
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "read_only"
        assert refused.headers.get("retry-after")
    assert _stores(urls) == before

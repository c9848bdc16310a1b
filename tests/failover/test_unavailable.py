"""What a request meets while the primary is gone (issue #26): a 503 problem with
``Retry-After`` instead of a 500, and reads (the key look-up, statement lists) served by
the replica. "Gone" is a PostgreSQL server on a port nobody listens on: libpq's own
failure, as when the old primary is dead and the new one not yet promoted."""

import sqlite3
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import errors
from sqlalchemy.exc import OperationalError

from service.config import Settings
from service.failover import RETRY_AFTER_S, primary_unreachable
from service.main import create_app
from tests.conftest import ADMIN_TOKEN, migrate
from tests.factories import Api, bearer
from tests.ports import free_port


def _dead_primary() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/ledger"


def _client(database_url: str, read_url: str | None = None) -> TestClient:
    settings = Settings(
        database_url=database_url, read_database_url=read_url, admin_token=ADMIN_TOKEN
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def committed_url(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> str:
    """A migrated database of the run's engine whose writes really commit (another app,
    the "replica" here, reads them)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('replica') / 'ledger.db'}"
        migrate(url)
        return url
    return str(request.getfixturevalue("pg_isolated_url"))


def test_a_request_without_a_primary_answers_503_with_retry_after() -> None:
    with _client(_dead_primary()) as client:
        response = client.post(
            "/v1/stores",
            json={"code": "s1", "name": "S", "country": "RU"},
            headers=bearer(ADMIN_TOKEN),
        )
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "database_unavailable"
    assert problem["status"] == 503


def test_a_key_is_checked_on_the_replica_while_no_primary_answers(committed_url: str) -> None:
    with _client(committed_url) as writer:
        api = Api(writer, ADMIN_TOKEN)
        society = api.society()
        token = api.key("society", society["code"])
    with _client(_dead_primary(), read_url=committed_url) as client:
        # The key is read from the replica; the statement list's freshness check cannot
        # ask the primary, so the replica answers it too.
        listed = client.get("/v1/statements", headers=bearer(token))
        unknown = client.get("/v1/statements", headers=bearer("rl_not-a-key"))
        # A write still needs the primary: 503, not a 500 and not a write to the replica.
        refused = client.post(
            "/v1/stores",
            json={"code": "s2", "name": "S", "country": "RU"},
            headers=bearer(ADMIN_TOKEN),
        )
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"] == []
    assert unknown.status_code == 401
    assert refused.status_code == 503


@pytest.mark.parametrize(
    ("error", "gone"),
    [
        (psycopg.OperationalError("connection refused"), True),  # libpq: no SQLSTATE
        (errors.AdminShutdown(), True),  # 57P01: the server is shutting down
        (errors.CannotConnectNow(), True),  # 57P03: starting up, in recovery
        (errors.ConnectionFailure(), True),  # 08006
        (errors.QueryCanceled(), False),  # 57014: statement_timeout, not a failover
        (errors.LockNotAvailable(), False),
        (errors.UniqueViolation(), False),
        (errors.ReadOnlySqlTransaction(), False),  # a write in a GET is a bug: a 500
        (sqlite3.OperationalError("database is locked"), False),
    ],
)
def test_which_errors_mean_the_primary_is_gone(error: Exception, gone: bool) -> None:
    assert primary_unreachable(error) is gone
    assert primary_unreachable(OperationalError("SELECT 1", {}, error)) is gone


@pytest.fixture
def pg_app(pg_isolated_url: str) -> Iterator[TestClient]:
    with _client(pg_isolated_url) as client:
        yield client
    client.app.state.engine.dispose()  # type: ignore[attr-defined]


def test_pooled_connections_of_a_restarted_server_are_replaced(
    pg_app: TestClient, pg_isolated_url: str
) -> None:
    """What a failover does to the pool: every connection it holds dies at once (here:
    terminated by the server); the next request still succeeds on a fresh one."""
    assert pg_app.get("/v1/ledger/head", headers=bearer(ADMIN_TOKEN)).status_code == 200
    name = pg_isolated_url.rsplit("/", 1)[1]
    with psycopg.connect(
        pg_isolated_url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres", autocommit=True
    ) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    assert pg_app.get("/v1/ledger/head", headers=bearer(ADMIN_TOKEN)).status_code == 200

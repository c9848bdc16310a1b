"""Test databases and clients.

Every test runs twice: on SQLite and on PostgreSQL (``LEDGER_TEST_DATABASE_URL``, set by
``make test`` and ``.ci/run``). Each database is built once by ``alembic upgrade head``;
each test runs inside a transaction that is rolled back, and every request of the test
gets its own session that joins it through a SAVEPOINT, so the service's own
commit/rollback logic runs for real.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

ADMIN_TOKEN = "test-admin-token"
os.environ["LEDGER_ADMIN_TOKEN"] = ADMIN_TOKEN
os.environ["LEDGER_DEMO"] = "false"
# Tests deliver webhooks explicitly (service.takedowns.worker), not from a background thread.
os.environ["LEDGER_WEBHOOKS_WORKER"] = "false"
# API keys' last use is written when a test flushes it (service.auth.usage), not by a thread.
os.environ["LEDGER_KEY_USE_FLUSH_SECONDS"] = "0"
# A fixed test key (base64 of a 32-byte Ed25519 seed), so tests never write a key file.
os.environ["LEDGER_SIGNING_KEY"] = "dGVzdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg5YWJjZGU="
# Tests sign and ask witnesses explicitly (service.transparency.witnesses), not from a thread.
os.environ["LEDGER_TRANSPARENCY_WORKER"] = "false"

from service.config import get_settings  # noqa: E402
from service.db import get_session  # noqa: E402
from service.engines import make_engine  # noqa: E402
from service.main import create_app  # noqa: E402

get_settings.cache_clear()
ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("LEDGER_TEST_DATABASE_URL")

from tests.apps import joining  # noqa: E402
from tests.factories import Api  # noqa: E402


def migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


def _admin_url(url: str) -> sa.URL:
    return make_url(url).set(database="postgres")


def create_pg_database(url: str, name: str, *, template: str | None = None) -> str:
    admin = sa.create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str, name: str) -> None:
    admin = sa.create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL is None and os.environ.get("CI"):
        raise pytest.UsageError("CI must test PostgreSQL: set LEDGER_TEST_DATABASE_URL")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database of each engine, built once per test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ledger.db'}"
        migrate(url)
        yield url
        return
    if PG_URL is None:
        pytest.skip("PostgreSQL not configured (LEDGER_TEST_DATABASE_URL)")
    name = f"ledger_test_{os.getpid()}"
    url = create_pg_database(PG_URL, name)
    migrate(url)
    yield url
    drop_pg_database(PG_URL, name)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def dialect(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session for arranging and asserting directly in the test's transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture(scope="session")
def app() -> FastAPI:
    """One app for the whole run: building the routes' models costs ~150 ms per app."""
    return create_app()


@pytest.fixture(autouse=True)
def signer_record(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The signer's record of each test, fresh: every test's database is rolled back, so
    one record across tests would (rightly) refuse to sign their unrelated trees. The
    servers a test starts inherit it through the environment."""
    path = tmp_path_factory.mktemp("signer") / "signer.signed.json"
    monkeypatch.setenv("LEDGER_SIGNER_RECORD_FILE", str(path))
    monkeypatch.setattr(get_settings(), "signer_record_file", str(path))
    return path


@pytest.fixture
def client(connection: Connection, app: FastAPI) -> Iterator[TestClient]:
    app.dependency_overrides[get_session] = joining(connection)
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def api(client: TestClient) -> Api:
    """Factories that build parties and catalog through real admin requests."""
    return Api(client, ADMIN_TOKEN)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that nobody connects to, cloned by ``pg_isolated_url``."""
    if PG_URL is None:
        pytest.skip("needs PostgreSQL")
    name = f"ledger_tpl_{os.getpid()}"
    migrate(create_pg_database(PG_URL, name))
    yield name
    drop_pg_database(PG_URL, name)


@pytest.fixture
def pg_isolated_url(database_url: str, pg_template: str) -> Iterator[str]:
    """A private, migrated PostgreSQL database for tests that need real commits from several
    connections (races). Runs once, in the PostgreSQL pass; skipped in the SQLite pass."""
    if not database_url.startswith("postgresql") or PG_URL is None:
        pytest.skip("needs PostgreSQL")
    name = f"ledger_race_{uuid.uuid4().hex[:10]}"
    url = create_pg_database(PG_URL, name, template=pg_template)
    yield url
    drop_pg_database(PG_URL, name)

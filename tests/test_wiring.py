"""Settings reach requests through create_app(settings), not through a global read."""

from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from service.config import Settings
from service.db import get_session
from service.main import create_app
from tests.conftest import ADMIN_TOKEN, migrate
from tests.factories import bearer


def test_the_admin_token_is_the_one_the_app_was_built_with(connection: Connection) -> None:
    app = create_app(Settings(admin_token="another-admin-token"))

    def test_session() -> Iterator[Session]:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session

    app.dependency_overrides[get_session] = test_session
    with TestClient(app) as client:
        assert client.get("/v1/societies", headers=bearer("another-admin-token")).status_code == 200
        # The environment's token (LEDGER_ADMIN_TOKEN, set by the test suite) is not read.
        assert client.get("/v1/societies", headers=bearer(ADMIN_TOKEN)).status_code == 401


def test_the_database_is_the_one_the_app_was_built_with(tmp_path: Path) -> None:
    """No session override here: the real request session, on the settings' database."""
    answering_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate(answering_url)
    answering = create_app(Settings(database_url=answering_url))
    missing = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"))
    with TestClient(answering) as client:
        assert client.get("/readyz").json() == {"status": "ready"}
    with TestClient(missing) as client:
        assert client.get("/readyz").status_code == 503

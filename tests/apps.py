"""A client of an app built with settings of the test's own (the suite's ``client`` serves
the one app of the session), joined to the test's rolled-back transaction likewise."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from service.config import Settings
from service.db import get_session
from service.main import create_app


def joining(connection: Connection) -> Callable[[], Iterator[Session]]:
    """The request session of a test: it joins the test's transaction through a SAVEPOINT,
    so the service's own commit/rollback runs for real and the test still rolls back."""

    def test_session() -> Iterator[Session]:
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    return test_session


@contextmanager
def client_with(connection: Connection, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    app.dependency_overrides[get_session] = joining(connection)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client

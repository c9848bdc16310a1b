"""A real hot standby for the read-routing tests (``LEDGER_TEST_REPLICA_URL``).

``scripts/pg-standby.sh up`` (``make replica-up``; ``.ci/run`` does it) streams the local
cluster to port 5433; the tests create a private database on the primary, wait until the
standby has replayed it, and point the app's ``LEDGER_READ_DATABASE_URL`` at it. Without
a standby these tests skip, except under CI, where a missing standby is a failure.
"""

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from service.config import Settings
from service.main import create_app
from tests.conftest import ADMIN_TOKEN

REPLICA_URL = os.environ.get("LEDGER_TEST_REPLICA_URL")


def _one(url: str, sql: str, **params: object) -> object:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


@dataclass
class Standby:
    primary_url: str  # the test's private database on the primary
    replica_url: str  # the same database on the standby
    control_url: str  # the standby's `postgres` database (replay control)

    def wait_for_replay(self, timeout: float = 60) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        lsn = _one(self.primary_url, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _one(
                self.control_url, "SELECT pg_last_wal_replay_lsn() >= CAST(:l AS pg_lsn)", l=lsn
            ):
                return
            time.sleep(0.05)
        raise AssertionError(f"the standby did not replay up to {lsn} in {timeout} s")

    def pause(self) -> None:
        _one(self.control_url, "SELECT pg_wal_replay_pause()::text")
        deadline = time.monotonic() + 30
        while _one(self.control_url, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.05)

    def resume(self) -> None:
        _one(self.control_url, "SELECT pg_wal_replay_resume()::text")

    def on_replica(self, sql: str) -> object:
        return _one(self.replica_url, sql)


@pytest.fixture
def standby(pg_isolated_url: str) -> Iterator[Standby]:
    if REPLICA_URL is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the replica tests: LEDGER_TEST_REPLICA_URL is not set")
        pytest.skip("no hot standby (make replica-up; LEDGER_TEST_REPLICA_URL)")
    name = make_url(pg_isolated_url).database
    base = make_url(REPLICA_URL)
    node = Standby(
        primary_url=pg_isolated_url,
        replica_url=base.set(database=name).render_as_string(hide_password=False),
        control_url=base.set(database="postgres").render_as_string(hide_password=False),
    )
    node.wait_for_replay()  # the private database exists on the standby too
    try:
        yield node
    finally:
        node.resume()  # never leave the shared standby paused


def app_on(database_url: str, read_url: str | None = None) -> FastAPI:
    settings = Settings(
        database_url=database_url, read_database_url=read_url, admin_token=ADMIN_TOKEN
    )
    return create_app(settings)


@pytest.fixture
def clients(standby: Standby) -> Iterator[dict[str, TestClient]]:
    """``routed``: primary + replica; ``primary``: no replica; ``standby``: the standby
    as the app's *only* database (every request, hence every write, goes there)."""
    apps = {
        "routed": app_on(standby.primary_url, standby.replica_url),
        "primary": app_on(standby.primary_url),
        "standby": app_on(standby.replica_url),
    }
    with (
        TestClient(apps["routed"]) as routed,
        TestClient(apps["primary"], raise_server_exceptions=False) as primary,
        TestClient(apps["standby"], raise_server_exceptions=False) as on_standby,
    ):
        yield {"routed": routed, "primary": primary, "standby": on_standby}
    for app in apps.values():
        app.state.engine.dispose()
        app.state.replicas.dispose()

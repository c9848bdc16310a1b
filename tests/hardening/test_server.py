"""The real server (uvicorn subprocess): read timeouts (finding 5) and the connection
after a 500 (finding 3)."""

import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import ADMIN_TOKEN, PG_URL, create_pg_database, drop_pg_database
from tests.factories import bearer
from tests.hardening.live import Live, serving

READ_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def live_url(database_url: str, pg_template: str) -> Iterator[str]:
    """One private database for the module: starting a server costs seconds."""
    if not database_url.startswith("postgresql") or PG_URL is None:
        pytest.skip("needs PostgreSQL")
    name = f"ledger_live_{uuid.uuid4().hex[:10]}"
    yield create_pg_database(PG_URL, name, template=pg_template)
    drop_pg_database(PG_URL, name)


@pytest.fixture(scope="module")
def live(live_url: str) -> Iterator[Live]:
    with serving(live_url, LEDGER_REQUEST_READ_TIMEOUT=str(READ_TIMEOUT)) as server:
        yield server


def _held_for(live: Live, sent: bytes) -> float:
    """Seconds the server keeps a connection that sent ``sent`` and then went silent."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=READ_TIMEOUT + 10) as sock:
        sock.sendall(sent)
        start = time.monotonic()
        try:
            while sock.recv(4096):
                pass
        except ConnectionResetError:
            pass
        return time.monotonic() - start


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connected, nothing sent
        b"POST /v1/sales HTTP/1.1\r\nHost: x\r\nContent-Le",  # half the headers
        b'POST /v1/sales HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"sa',  # half a body
    ],
    ids=["silent", "half-headers", "half-body"],
)
def test_a_slow_client_is_cut_off_within_the_read_timeout(live: Live, sent: bytes) -> None:
    held = _held_for(live, sent)
    assert held < READ_TIMEOUT + 2, f"held {held:.1f} s"


def test_a_slow_request_does_not_cut_a_fast_keep_alive_client(live: Live) -> None:
    with httpx.Client(base_url=live.url, headers=bearer(ADMIN_TOKEN)) as client:
        for _ in range(3):
            assert client.get("/v1/ledger/head").status_code == 200
            time.sleep(READ_TIMEOUT / 2)


@contextmanager
def tariffs_gone(url: str) -> Iterator[None]:
    """A fault the service cannot turn into a 4xx: a table missing from its database."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE tariff RENAME TO tariff_away"))
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE tariff_away RENAME TO tariff"))
        engine.dispose()


def test_after_a_500_the_connection_is_closed_or_usable(live: Live, live_url: str) -> None:
    with (
        tariffs_gone(live_url),
        httpx.Client(base_url=live.url, headers=bearer(ADMIN_TOKEN)) as client,
    ):
        assert client.get("/v1/ledger/head").status_code == 200  # a kept-alive connection
        failed = client.get("/v1/tariffs")
        assert failed.status_code == 500
        assert failed.headers.get("connection") == "close"
        assert failed.headers["content-type"] == "application/problem+json"
        for _ in range(3):  # the same client goes on: no "connection reset"
            assert client.get("/v1/ledger/head").status_code == 200

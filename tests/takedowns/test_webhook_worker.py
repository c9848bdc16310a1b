"""The webhook worker as a real process: killed mid-delivery (SIGKILL), restarted, the
webhook arrives — same ``webhook-id``, valid signature — and is never lost; and the
in-process worker the app's lifespan starts and stops."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from service.config import Settings
from service.engines import make_engine
from service.main import create_app
from service.takedowns.models import WebhookOutbox
from tests.conftest import ROOT, migrate
from tests.takedowns.conftest import queue_one_webhook

FAST = ("--poll", "0.2", "--lease", "1")  # a killed claim is due again after 1 s


class Receiver(ThreadingHTTPServer):
    """A store's server: the first request hangs until released (the worker is killed
    meanwhile); later ones answer 204."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)  # a port the kernel hands out
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if len(self.server.received) == 1:
            self.server.first_arrived.set()
            self.server.release.wait(30)  # hang: the worker dies waiting for this answer
            return
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def committed_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated database of the pass's engine whose commits other processes see."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'worker.db'}"
        migrate(url)
        return url
    return str(request.getfixturevalue("pg_isolated_url"))


def _worker(url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.takedowns.worker", "--database-url", url, *FAST],
        cwd=ROOT,
        env={**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_WEBHOOK_ALLOW_PRIVATE": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_delivery_delivers_after_restart(
    committed_url: str, receiver: Receiver
) -> None:
    secret, message_id = queue_one_webhook(
        committed_url, hook=f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    )
    first = _worker(committed_url)
    try:
        assert receiver.first_arrived.wait(30), "the worker never called the store"
        first.send_signal(signal.SIGKILL)  # mid-delivery: the store has not answered
        assert first.wait(10) == -signal.SIGKILL
    finally:
        first.kill()
    receiver.release.set()
    second = _worker(committed_url)
    try:
        deadline = time.monotonic() + 30
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, second.stderr.read() if second.stderr else ""
    assert len(receiver.received) == 2, "not redelivered after the restart"
    for headers, body in receiver.received:
        assert headers["webhook-id"] == message_id  # a duplicate the receiver can drop
        payload = Webhook(secret).verify(body, headers)
        assert payload["data"]["takedown_id"] == "t1"
    engine = make_engine(committed_url)
    with Session(engine) as session:
        row = session.exec(select(WebhookOutbox)).one()
    engine.dispose()
    assert row.delivered_at is not None and row.attempts == 2


def test_the_app_lifespan_runs_the_in_process_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lifespan.db'}"
    migrate(url)
    app = create_app(Settings(database_url=url, webhooks_worker=True))

    def workers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "webhooks-worker" and t.is_alive()]

    before = len(workers())
    with TestClient(app):
        assert len(workers()) == before + 1
    assert len(workers()) == before
    app.state.engine.dispose()

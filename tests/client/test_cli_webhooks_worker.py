"""`royalty-ledger webhooks-worker --once` delivers what the
outbox holds to a real HTTP server, signed, and records the delivery."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from service.client import cli
from service.config import get_settings
from service.engines import make_engine
from service.takedowns.models import WebhookOutbox
from tests.conftest import migrate
from tests.takedowns.conftest import queue_one_webhook


class _Store(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.received.append(  # type: ignore[attr-defined]
            ({k.lower(): v for k, v in self.headers.items()}, body)
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def store_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Store)  # any free port
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_webhooks_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The operator's setting a local receiver needs (a loopback address)."""
    monkeypatch.setenv("LEDGER_WEBHOOK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_once_delivers_what_is_due_and_records_it(
    tmp_path: Path,
    store_server: ThreadingHTTPServer,
    capsys: pytest.CaptureFixture[str],
    private_webhooks_allowed: None,
) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate(url)
    port = store_server.server_address[1]
    secret, _ = queue_one_webhook(url, hook=f"http://127.0.0.1:{port}/hook", code="clistore")

    assert cli.main(["webhooks-worker", "--once", "--database-url", url]) == 0

    assert capsys.readouterr().out.strip() == "1 webhook delivery attempt(s)"
    received = store_server.received  # type: ignore[attr-defined]
    assert len(received) == 1
    headers, body = received[0]
    assert Webhook(secret).verify(body, headers)["data"]["takedown_id"] == "t1"
    engine = make_engine(url)
    with Session(engine) as session:
        row = session.exec(select(WebhookOutbox)).one()
    engine.dispose()
    assert row.delivered_at is not None and row.attempts == 1 and row.last_error is None
    # Nothing is due any more: a second pass attempts nothing.
    assert cli.main(["webhooks-worker", "--once", "--database-url", url]) == 0
    assert capsys.readouterr().out.strip() == "0 webhook delivery attempt(s)"

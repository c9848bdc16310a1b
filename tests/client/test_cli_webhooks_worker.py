"""`royalty-ledger webhooks-worker --once` delivers what the
outbox holds to a real HTTP server, signed, and records the delivery."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from service.client import cli
from service.config import Settings
from service.db import make_engine
from service.main import create_app
from service.takedowns import webhooks
from service.takedowns.models import WebhookOutbox
from service.takedowns.schemas import TakedownWebhook, TakedownWebhookData
from tests.conftest import ADMIN_TOKEN, migrate
from tests.factories import bearer


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


def _queue(url: str, hook: str) -> str:
    """A store whose webhook is ``hook`` and one queued takedown webhook: its secret."""
    app = create_app(Settings(database_url=url, webhooks_worker=False))
    with TestClient(app) as client:
        response = client.post(
            "/v1/stores",
            json={"code": "clistore", "name": "CLI", "country": "RU", "webhook_url": hook},
            headers=bearer(ADMIN_TOKEN),
        )
    app.state.engine.dispose()
    assert response.status_code == 201, response.text
    notice = TakedownWebhook(
        type="takedown.approved",
        timestamp=datetime.now(UTC),
        data=TakedownWebhookData(
            takedown_id="t9",
            action="approved",
            status="approved",
            isrc="RUA010600001",
            iswc=None,
            isrcs=["RUA010600001"],
            territories=["RU"],
            effective_at=datetime(2006, 11, 1, tzinfo=UTC),
            lift_effective_at=None,
        ),
    )
    engine = make_engine(url)
    with Session(engine) as session:
        assert webhooks.enqueue(session, notice=notice) == 1
        session.commit()
    engine.dispose()
    return str(response.json()["webhook_secret"])


def test_once_delivers_what_is_due_and_records_it(
    tmp_path: Path, store_server: ThreadingHTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate(url)
    port = store_server.server_address[1]
    secret = _queue(url, f"http://127.0.0.1:{port}/hook")

    assert cli.main(["webhooks-worker", "--once", "--database-url", url]) == 0

    assert capsys.readouterr().out.strip() == "1 webhook delivery attempt(s)"
    received = store_server.received  # type: ignore[attr-defined]
    assert len(received) == 1
    headers, body = received[0]
    assert Webhook(secret).verify(body, headers)["data"]["takedown_id"] == "t9"
    engine = make_engine(url)
    with Session(engine) as session:
        row = session.exec(select(WebhookOutbox)).one()
    engine.dispose()
    assert row.delivered_at is not None and row.attempts == 1 and row.last_error is None
    # Nothing is due any more: a second pass attempts nothing.
    assert cli.main(["webhooks-worker", "--once", "--database-url", url]) == 0
    assert capsys.readouterr().out.strip() == "0 webhook delivery attempt(s)"

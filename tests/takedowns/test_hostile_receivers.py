"""A store's webhook receiver cannot hurt the API (issue #24, breaks 2, 3 and 6): it cannot
make the worker read a huge answer, hold it past a total deadline, outlive its lease or
its stop; and a URL that may not be called fails its webhook instead of crashing the
worker. Real sockets, on ports the kernel hands out; a database others see committed."""

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from service.engines import make_engine
from service.parties.models import Store
from service.takedowns import delivery, worker
from service.takedowns.models import WebhookOutbox
from service.timeutil import utcnow
from tests.conftest import migrate
from tests.takedowns.conftest import queue_one_webhook


class Hostile(socketserver.ThreadingTCPServer):
    """A receiver on 127.0.0.1 that reads the request, then behaves as ``mode`` says:
    ``huge`` answers 200 with a 200 MB body, ``trickle`` sends its answer one byte every
    0.3 s (for at most 20 s), ``ok`` answers 204."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.requests = 0
        self.sent = 0
        self.arrived = threading.Event()
        self.done = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(socketserver.BaseRequestHandler):
    server: Hostile

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")[1:]
                if line.lower().startswith(b"content-length")
            )
        )
        while len(body) < length:
            body += sock.recv(65536)
        self.server.requests += 1
        self.server.arrived.set()
        try:
            getattr(self, self.server.mode)(sock)
        except OSError:
            pass  # the worker hung up: what a bounded reader does
        finally:
            self.server.done.set()

    def ok(self, sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    def huge(self, sock: socket.socket) -> None:
        size = 200 * 1024 * 1024
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        block = b"x" * 65536
        for _ in range(size // len(block)):
            sock.sendall(block)
            self.server.sent += len(block)

    def trickle(self, sock: socket.socket) -> None:
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + b"X-Slow: " + b"a" * 200
        for byte in answer[:66]:  # about 20 s, never the end of the headers
            sock.sendall(bytes([byte]))
            self.server.sent += 1
            time.sleep(0.3)


@pytest.fixture
def committed_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'hostile.db'}"
        migrate(url)
        return url
    return str(request.getfixturevalue("pg_isolated_url"))


@pytest.fixture
def engine(committed_url: str) -> Iterator[Engine]:
    made = make_engine(committed_url)
    yield made
    made.dispose()


def serving(mode: str) -> Hostile:
    server = Hostile(mode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def outbox(engine: Engine) -> list[WebhookOutbox]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookOutbox).order_by(col(WebhookOutbox.id))))


def _set_url(engine: Engine, code: str, url: str | None) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Store).where(col(Store.code) == code).values(webhook_url=url))


def _deliver(engine: Engine, **kwargs: object) -> int:
    return worker.deliver_due(engine, allow_private=True, **kwargs)  # type: ignore[arg-type]


def test_a_huge_answer_is_not_read(committed_url: str, engine: Engine) -> None:
    server = serving("huge")
    try:
        queue_one_webhook(committed_url, hook=server.url)
        assert _deliver(engine) == 1
        assert server.done.wait(30)
    finally:
        server.shutdown()
    [row] = outbox(engine)
    assert row.delivered_at is not None  # the status (200) is all that counts
    # The worker hung up after a small bound; the rest never left the receiver (socket
    # buffers between the two hold a few MB at most).
    assert server.sent < 20 * 1024 * 1024, server.sent


def test_a_trickling_receiver_gets_a_total_deadline_and_stalls_nobody(
    committed_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "ATTEMPT_S", 1.0)
    slow, fine = serving("trickle"), serving("ok")
    try:
        queue_one_webhook(committed_url, hook=slow.url, code="slowstore")
        # One webhook for the other store (queued while the slow one has no URL), behind it.
        _set_url(engine, "slowstore", None)
        queue_one_webhook(committed_url, hook=fine.url, code="finestore")
        _set_url(engine, "slowstore", slow.url)
        assert _deliver(engine) == 2
    finally:
        slow.shutdown()
        fine.shutdown()
    slow_row, fine_row = outbox(engine)
    assert slow_row.delivered_at is None and slow_row.failed_at is None
    assert "deadline" in (slow_row.last_error or ""), slow_row.last_error
    assert slow_row.attempts == 1
    # Due again after the backoff, not after the lease: the attempt was over in time.
    assert slow_row.next_attempt_at < utcnow() + worker.backoff(1) + timedelta(seconds=5)
    assert fine_row.delivered_at is not None and fine.requests == 1


def test_a_stale_claim_never_overwrites_a_later_one(committed_url: str, engine: Engine) -> None:
    server = serving("ok")
    try:
        queue_one_webhook(committed_url, hook=server.url)
    finally:
        server.shutdown()
    first = worker.claim(engine, now=utcnow(), lease_s=0.0)  # its lease over at once
    assert first is not None
    second = worker.claim(engine, now=utcnow() + timedelta(seconds=1))
    assert second is not None and second.attempt == first.attempt + 1
    worker.record(engine, second, outcome=delivery.Outcome(None), now=utcnow())
    worker.record(engine, first, outcome=delivery.Outcome("HTTP 500"), now=utcnow())
    [row] = outbox(engine)
    assert row.delivered_at is not None and row.last_error is None and row.attempts == 2


def test_a_stop_ends_an_attempt_under_way_and_keeps_the_webhook_due(
    committed_url: str, engine: Engine
) -> None:
    server = serving("trickle")
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(engine, stop), kwargs={"poll_s": 0.1, "allow_private": True}
    )
    try:
        queue_one_webhook(committed_url, hook=server.url)
        thread.start()
        assert server.arrived.wait(30)
        stop.set()
        thread.join(timeout=5)  # the receiver would hold an attempt ~20 s
        assert not thread.is_alive(), "the worker did not stop"
    finally:
        stop.set()
        server.shutdown()
        thread.join(timeout=30)
    [row] = outbox(engine)
    assert row.delivered_at is None and row.failed_at is None
    assert row.attempts == 0  # interrupted by us, not failed by the receiver
    assert row.next_attempt_at <= utcnow()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/_x",
        "http://example.com/a\r\nX-Injected: 1",
        "http://user:secret@example.com/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/hook",
        "http://10.0.0.1/hook",
        "LOCALHOST",  # a name resolving to loopback: the worker's own check
    ],
)
def test_a_url_that_may_not_be_called_fails_its_webhook_at_once(
    committed_url: str, engine: Engine, url: str
) -> None:
    trap = serving("ok")  # what "LOCALHOST" would reach
    try:
        queue_one_webhook(committed_url, hook=trap.url)
        target = f"http://localhost:{trap.server_address[1]}/hook" if url == "LOCALHOST" else url
        # A row from before registration checked URLs (or written behind the API's back).
        with Session(engine) as session, session.begin():
            session.execute(update(Store).values(webhook_url=target))
        assert worker.deliver_due(engine) == 1  # the operator allows no private address
    finally:
        trap.shutdown()
    [row] = outbox(engine)
    assert row.failed_at is not None and row.attempts == 1, row.last_error
    assert (row.last_error or "").startswith("refused"), row.last_error
    assert trap.requests == 0

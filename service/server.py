"""Serving the app with uvicorn, with the read timeouts uvicorn lacks.

uvicorn's h11 protocol times out only an *idle* keep-alive connection: a client that sends
half a request line, half its headers or half its body and then goes silent holds the
connection (and, mid-body, a request task) for ever. ``GuardedH11Protocol`` gives every
request ``LEDGER_REQUEST_READ_TIMEOUT`` seconds (15 by default), counted from the
connection's opening or the previous response's end, to arrive whole (headers and body);
otherwise the connection is closed. Handling time is not limited: once the body is in,
the app may take as long as a close takes.

Settings (see docs/reliability.md): keep-alive idle timeout ``KEEP_ALIVE_TIMEOUT`` s;
request read timeout ``LEDGER_REQUEST_READ_TIMEOUT`` s; request line plus headers at most
``MAX_HEADER_BYTES`` (h11's incomplete-event limit: larger answers 400); bodies at most
``LEDGER_MAX_BODY_BYTES`` (``service.middleware.BodyLimit``: 413).

    python -m service.server [--host H] [--port P]
"""

import argparse
import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.accept_gate import GATE
from service.config import get_settings

KEEP_ALIVE_TIMEOUT = 5
MAX_HEADER_BYTES = 16 * 1024


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request does not arrive in time."""

    _read_deadline: asyncio.TimerHandle | None = None

    @property
    def read_timeout(self) -> float:
        # Read from the settings (not baked into a generated subclass) so the protocol class
        # stays importable: worker processes (LEDGER_WORKERS > 1) receive it pickled.
        return get_settings().request_read_timeout

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _no_delay(transport)
        GATE.attach(transport)
        self._arm_read_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)

    def _arm_read_deadline(self) -> None:
        self._disarm_read_deadline()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._read_deadline_passed)

    def _disarm_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_deadline_passed(self) -> None:
        self._read_deadline = None
        cycle = self.cycle
        awaiting_request = cycle is None or cycle.response_complete
        if awaiting_request or cycle.more_body:
            # Headers or body incomplete: the app (if it has the request) sees a disconnect.
            self.transport.close()


def _no_delay(transport: asyncio.Transport) -> None:
    """Send each response as soon as it is written (TCP_NODELAY).

    asyncio sets it on the connections of a server it listens with itself, but a worker
    process (LEDGER_WORKERS > 1) serves a socket its parent made, and its connections kept
    Nagle's algorithm: a response written in two parts (head, then body) waited for the
    client's delayed ACK, ~40 ms on every request of a kept-alive connection (measured:
    /healthz 44 ms with 2 workers against 1.4 ms with one).
    """
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def options(**overrides: Any) -> dict[str, Any]:
    """uvicorn's settings for this service: where to listen, how many worker processes
    (``LEDGER_WORKERS``), and the timeouts and limits above."""
    settings = get_settings()
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "access_log": settings.access_log,
        "http": GuardedH11Protocol,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        **overrides,
    }


def serve(**overrides: Any) -> None:
    # An import string, not the app object: uvicorn needs it to start worker processes.
    uvicorn.run("service.main:app", **options(**overrides))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve royalty-ledger with read timeouts.")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument(
        "--no-access-log",
        action="store_true",
        help="drop uvicorn's access log (the JSON request log keeps every request)",
    )
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {
        k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None
    }
    if args.no_access_log:
        overrides["access_log"] = False
    serve(**overrides)


if __name__ == "__main__":
    main()

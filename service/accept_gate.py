"""A busy worker stops accepting connections, so the next batch goes to an idle one.

With several worker processes (``LEDGER_WORKERS`` > 1) every worker accepts from the one
listening socket, and a worker booking a batch still accepts: its event loop runs beside
the batch's thread. A second batch it accepts then shares that process's GIL with the
first — both take twice as long — while another worker may sit idle (issue 21: the p99
of a 1,000-sale batch came from exactly that). So while a worker books as many write
batches as its bound (``WRITE_BATCHES_PER_WORKER``), it takes its listening sockets off
its event loop; the kernel keeps queueing connections on the shared socket, and the
workers that still listen take them. When the batch ends, the worker listens again, and
after ``MAX_PAUSE_S`` at the latest.

Only bounded write batches (``POST /v1/sales``, ``POST /v1/refunds``) count: a DSR file
takes minutes and must not stop a worker from serving everything else. With one worker
the gate never closes (nobody else would accept).

asyncio has no public way to pause a server's accepting: ``pause`` removes the listening
sockets' readers (public ``remove_reader``) and ``resume`` re-arms them through
``Server._start_serving`` (private, stable since Python 3.7; ``tests/test_accept_gate.py``
runs it against a real server, so a change in asyncio fails the suite, not production).
"""

import asyncio
import logging
from typing import Any

WRITE_BATCHES_PER_WORKER = 1
# A worker never stops listening longer than this: a batch held up (a failover, a slow
# disk) must not leave health checks and reads unanswered on every worker at once.
MAX_PAUSE_S = 2.0
GATED = frozenset({("POST", "/v1/sales"), ("POST", "/v1/refunds")})

log = logging.getLogger("ledger.accept_gate")


class AcceptGate:
    """This process's listening servers and how many gated batches it is booking."""

    def __init__(self, *, bound: int = WRITE_BATCHES_PER_WORKER) -> None:
        self.bound = bound
        self.enabled = False
        self.servers: list[asyncio.Server] = []
        self.busy = 0
        self.paused = False
        self._deadline: asyncio.TimerHandle | None = None

    def attach(self, transport: Any) -> None:
        """Remember the server a connection came from (once per server)."""
        server = getattr(transport, "_server", None)
        if server is not None and server not in self.servers:
            self.servers.append(server)

    def enter(self) -> None:
        self.busy += 1
        if self.enabled and not self.paused and self.busy >= self.bound:
            self.pause()

    def leave(self) -> None:
        self.busy -= 1
        if self.paused and self.busy < self.bound:
            self.resume()

    def pause(self) -> None:
        if not self.servers:
            return
        for server in self.servers:
            loop = server.get_loop()
            for sock in server.sockets:
                loop.remove_reader(sock.fileno())
        self.paused = True
        self._deadline = self.servers[0].get_loop().call_later(MAX_PAUSE_S, self.resume)

    def resume(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.paused = False
        for server in self.servers:
            if server.is_serving():
                try:
                    server._serving = False  # type: ignore[attr-defined]
                    server._start_serving()  # type: ignore[attr-defined]
                except Exception:  # never leave a worker deaf: log and keep serving
                    log.exception("could not re-arm a listening socket")
                    server._serving = True  # type: ignore[attr-defined]


GATE = AcceptGate()

"""A worker booking a batch stops accepting, and listens again after it (issue 21).

Runs the gate against a real asyncio server on an ephemeral port: the gate re-arms the
listening socket through asyncio's private ``Server._start_serving``, so a change there
fails here.
"""

import asyncio
import socket

import pytest

from service.accept_gate import AcceptGate
from service.middleware import GateWrites


class Counting(asyncio.Protocol):
    accepted: list[asyncio.BaseTransport] = []
    gate: AcceptGate

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        Counting.accepted.append(transport)
        Counting.gate.attach(transport)


async def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    await asyncio.sleep(0.3)  # the loop had every chance to accept it
    return sock


def test_a_paused_worker_leaves_connections_queued_and_takes_them_when_it_resumes() -> None:
    async def scenario() -> list[int]:
        gate = AcceptGate(bound=1)
        gate.enabled = True
        Counting.gate, Counting.accepted = gate, []
        server = await asyncio.get_running_loop().create_server(Counting, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        seen = []
        first = await _connect(port)
        seen.append(len(Counting.accepted))  # 1: the gate learns its server
        gate.enter()  # a batch starts: stop accepting
        second = await _connect(port)  # the kernel queues it; nobody accepts
        seen.append(len(Counting.accepted))
        gate.leave()  # the batch ends: listen again, the queued one is taken
        await asyncio.sleep(0.3)
        seen.append(len(Counting.accepted))
        for sock in (first, second):
            sock.close()
        for transport in Counting.accepted:
            transport.close()
        server.close()
        await server.wait_closed()
        return seen

    assert asyncio.run(scenario()) == [1, 1, 2]


def test_with_one_worker_the_gate_never_closes() -> None:
    gate = AcceptGate(bound=1)  # enabled stays False (LEDGER_WORKERS=1)
    gate.enter()
    assert not gate.paused
    gate.leave()
    assert gate.busy == 0


@pytest.mark.parametrize(
    ("method", "path", "counted"),
    [
        ("POST", "/v1/sales", True),
        ("POST", "/v1/refunds", True),
        ("POST", "/v1/sales/dsr", False),  # minutes long: never stops a worker listening
        ("GET", "/v1/sales", False),
    ],
)
def test_only_bounded_write_batches_count(method: str, path: str, counted: bool) -> None:
    gate = AcceptGate(bound=5)
    seen: list[int] = []

    async def app(scope: object, receive: object, send: object) -> None:
        seen.append(gate.busy)

    middleware = GateWrites(app, gate)  # type: ignore[arg-type]
    scope = {"type": "http", "method": method, "path": path}
    asyncio.run(middleware(scope, None, None))  # type: ignore[arg-type]
    assert seen == [1 if counted else 0]
    assert gate.busy == 0


def test_a_worker_listens_again_after_the_longest_pause_even_if_still_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("service.accept_gate.MAX_PAUSE_S", 0.2)

    async def scenario() -> list[int]:
        gate = AcceptGate(bound=1)
        gate.enabled = True
        Counting.gate, Counting.accepted = gate, []
        server = await asyncio.get_running_loop().create_server(Counting, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        first = await _connect(port)
        gate.enter()  # a batch that does not end
        second = await _connect(port)  # 0.3 s: past the longest pause, so it is taken
        seen = [len(Counting.accepted), gate.paused]
        for sock in (first, second):
            sock.close()
        for transport in Counting.accepted:
            transport.close()
        server.close()
        await server.wait_closed()
        return seen

    assert asyncio.run(scenario()) == [2, False]

"""Every connection the server accepts sends without delay (TCP_NODELAY).

Found by the bench: with LEDGER_WORKERS=2 every request of a kept-alive connection took
~44 ms (1.4 ms with one worker). A worker process serves a socket its parent made, and
the connections it accepted kept Nagle's algorithm: a response written in two parts
waited for the client's delayed ACK. ``GuardedH11Protocol`` sets TCP_NODELAY itself.
"""

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from service.server import GuardedH11Protocol


async def _app(scope: Any, receive: Any, send: Any) -> None:  # never called here
    raise AssertionError("no request is sent")


class _Transport(asyncio.Transport):
    """What the protocol asks of a transport when a connection is made."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {
            "socket": self._sock,
            "peername": self._sock.getpeername(),
            "sockname": self._sock.getsockname(),
        }.get(name, default)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


@pytest.fixture
def accepted() -> Iterator[socket.socket]:
    """A server-side TCP connection with Nagle's algorithm on (as a worker's were)."""
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()),
    ):
        connection, _ = server.accept()
        with connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            yield connection


def test_a_new_connection_gets_tcp_nodelay(accepted: socket.socket) -> None:
    loop = asyncio.new_event_loop()
    try:
        protocol = GuardedH11Protocol(
            config=Config(app=_app), server_state=ServerState(), app_state={}, _loop=loop
        )
        protocol.connection_made(_Transport(accepted))
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        protocol.connection_lost(None)
    finally:
        loop.close()

"""Ports for the servers tests start: always one the kernel hands out (port 0), never a
fixed range, so two checkouts can run the suite at once on one machine."""

import socket


def free_port() -> int:
    """A port free right now on 127.0.0.1 (the kernel's ephemeral range)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""Witness servers in threads of the test (service/witness), on ports the kernel hands out."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.proofs import notes
from service.witness.core import Witness
from service.witness.server import serve


@dataclass
class Running:
    witness: Witness
    url: str

    @property
    def vkey(self) -> str:
        return self.witness.verifier.vkey


@contextmanager
def witnesses(tmp: Path, log_vkey: str, *names: str) -> Iterator[list[Running]]:
    servers, running = [], []
    for name in names:
        witness = Witness(
            name,
            Ed25519PrivateKey.generate(),
            [notes.parse_vkey(log_vkey)],
            tmp / f"{name.replace('/', '_')}.state",
        )
        server = serve(witness, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        host, port = server.server_address[:2]
        running.append(Running(witness, f"http://{host}:{port}"))
    try:
        yield running
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()

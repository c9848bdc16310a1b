"""The witness over HTTP (standard library): ``POST /add-checkpoint`` and, for people,
``GET /`` answering the witness's verifier key."""

import base64
import binascii
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.witness.core import Answer, Witness

MAX_BODY = 64 * 1024  # a checkpoint, 63 proof lines and a few signatures fit many times


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The witness's Ed25519 key: base64 of a 32-byte seed in ``path``, created (0600)."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        seed = os.urandom(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            text = path.read_bytes()
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(base64.b64encode(seed) + b"\n")
            return Ed25519PrivateKey.from_private_bytes(seed)
    try:
        seed = base64.b64decode(text.strip(), validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{path}: not the base64 of a 32-byte Ed25519 seed") from exc


def handler_for(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "royalty-ledger-witness"

        def _answer(self, answer: Answer) -> None:
            data = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "":
                self._answer(Answer(200, witness.verifier.vkey + "\n"))
            else:
                self._answer(Answer(404, "not found\n"))

        def do_POST(self) -> None:
            if self.path != "/add-checkpoint":
                self._answer(Answer(404, "not found\n"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._answer(Answer(400, f"a body of 1 to {MAX_BODY} bytes is expected\n"))
                return
            self._answer(witness.add_checkpoint(self.rfile.read(length)))

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the ledger logs its side of every request

    return Handler


def serve(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """A server bound to (host, port) (0: any free port); call ``serve_forever``."""
    return ThreadingHTTPServer((host, port), handler_for(witness))

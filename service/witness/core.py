"""The witness's rules (c2sp.org/tlog-witness, ``add-checkpoint``), without HTTP.

For each log it trusts (by its signed-note verifier key; the key's name is the log's
origin) the witness keeps the latest checkpoint it cosigned, in a JSON state file
written atomically (temporary file, fsync, rename). Checking a request and recording
the new checkpoint happen under one lock, and the record is on disk before the
cosignature is returned, so no crash or race lets it cosign two different trees of one
size or roll a log back.
"""

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.atomic import locked, write_atomically
from service.proofs import merkle, notes

MAX_PROOF_LINES = 63


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _refuse(status: int, why: str) -> Answer:
    return Answer(status, why + "\n")


class Witness:
    def __init__(
        self, name: str, private: Ed25519PrivateKey, logs: list[notes.Verifier], state: Path
    ) -> None:
        self.name = name
        self.private = private
        self.verifier = notes.verifier_of(name, private, notes.COSIGNATURE_V1)
        self.logs = {v.name: v for v in logs}
        self.state_file = state
        self.lock = threading.Lock()

    def _state(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.state_file.read_bytes())
        except FileNotFoundError:
            return {}
        return dict(data["logs"])

    def latest(self, origin: str) -> tuple[int, bytes]:
        entry = self._state().get(origin)
        if entry is None:
            return 0, b""
        return int(str(entry["size"])), base64.b64decode(str(entry["root"]))

    def add_checkpoint(self, body: bytes, now: float | None = None) -> Answer:
        """One ``add-checkpoint`` request: the spec's status codes, or 200 and the
        cosignature line."""
        try:
            old, proof, note = _parse(body)
            text, _ = notes.split(note)
            checkpoint = notes.parse_checkpoint(text)
        except (notes.NoteError, ValueError, UnicodeDecodeError) as exc:
            return _refuse(400, f"malformed request: {exc}")
        log_key = self.logs.get(checkpoint.origin)
        if log_key is None:
            return _refuse(404, f"unknown log origin {checkpoint.origin}")
        try:
            notes.verified(note, [log_key])
        except notes.NoteError:
            return _refuse(403, "no valid signature by the log's key")
        if old > checkpoint.size:
            return _refuse(400, f"old size {old} exceeds the checkpoint's {checkpoint.size}")
        with self.lock, locked(self.state_file):
            size, root = self.latest(checkpoint.origin)
            if old != size:
                return Answer(409, f"{size}\n", "text/x.tlog.size")
            if old == checkpoint.size and checkpoint.root != root:
                return _refuse(409, f"a different root for size {old}: a split view")
            if old == 0 and proof:
                return _refuse(422, "a proof from size 0 must be empty")
            if 0 < old < checkpoint.size and not merkle.verify_consistency(
                old, checkpoint.size, root, checkpoint.root, proof
            ):
                return _refuse(422, "the consistency proof does not verify")
            self._record(checkpoint)
        stamp = int(now if now is not None else time.time())
        return Answer(200, notes.cosign(text, self.name, self.private, stamp))

    def _record(self, checkpoint: notes.Checkpoint) -> None:
        logs = self._state()
        logs[checkpoint.origin] = {
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode(),
        }
        data = json.dumps({"witness": self.verifier.vkey, "logs": logs}, indent=1) + "\n"
        write_atomically(self.state_file, data.encode())


def _parse(body: bytes) -> tuple[int, list[bytes], str]:
    """``old N``, up to 63 base64 proof lines, a blank line, then the checkpoint note."""
    text = body.decode("utf-8")
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("no blank line after the proof")
    lines = head.split("\n")
    keyword, _, size = lines[0].partition(" ")
    if keyword != "old" or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise ValueError("the first line is `old <size>`")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise ValueError(f"more than {MAX_PROOF_LINES} proof lines")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except binascii.Error as exc:
        raise ValueError("a proof line is not base64") from exc
    if any(len(h) != 32 for h in proof):
        raise ValueError("a proof hash has 32 bytes")
    return int(size), proof, note

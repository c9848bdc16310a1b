"""An independent C2SP signed-note / checkpoint / cosignature checker, written in the tests
from the specifications alone (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature),
sharing no code with service/proofs/notes.py: the server's bytes must satisfy it."""

import base64
import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EM_DASH = "\u2014"


def parse_vkey(vkey: str) -> tuple[str, bytes, int, bytes]:
    """name+hex(keyid)+base64(type||key) → (name, key id, type, key)."""
    name, keyid, blob = vkey.split("+", 2)  # the base64 may hold "+" too
    raw = base64.b64decode(blob)
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4] == bytes.fromhex(keyid)
    return name, bytes.fromhex(keyid), raw[0], raw[1:]


def open_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    body, _, sigs = note.rpartition("\n\n")
    out = []
    for line in sigs.splitlines():
        assert line.startswith(EM_DASH + " ")
        name, blob = line[2:].split(" ")
        out.append((name, base64.b64decode(blob)))
    return body + "\n", out


def checkpoint(body: str) -> tuple[str, int, bytes]:
    origin, size, root, empty = body.split("\n")
    assert empty == "" and str(int(size)) == size
    return origin, int(size), base64.b64decode(root)


def verify_note_signature(note: str, vkey: str) -> bool:
    """True if the note carries a valid Ed25519 (0x01) signature of ``vkey``."""
    name, keyid, kind, key = parse_vkey(vkey)
    assert kind == 1
    body, sigs = open_note(note)
    for signer, blob in sigs:
        if signer == name and blob[:4] == keyid:
            Ed25519PublicKey.from_public_bytes(key).verify(blob[4:], body.encode())
            return True
    return False


def cosigned_at(note: str, vkey: str) -> int | None:
    """The timestamp of a valid cosignature/v1 (0x04) of ``vkey`` on the note, else None
    (an invalid one raises)."""
    name, keyid, kind, key = parse_vkey(vkey)
    assert kind == 4
    body, sigs = open_note(note)
    for signer, blob in sigs:
        if signer == name and blob[:4] == keyid:
            (stamp,) = struct.unpack(">Q", blob[4:12])
            message = b"cosignature/v1\ntime " + str(stamp).encode() + b"\n" + body.encode()
            Ed25519PublicKey.from_public_bytes(key).verify(blob[12:], message)
            return stamp
    return None

"""C2SP signed notes, checkpoints and cosignatures (pure: ``cryptography`` only).

Written from the specifications (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature;
golang.org/x/mod/sumdb/note is their reference implementation), so a society can vendor
this file with ``merkle.py``:

- a *note* is UTF-8 text ending in a newline, a blank line, then signature lines
  ``— <key name> base64(4-byte key ID ‖ signature)`` (U+2014, space);
- a key ID is ``SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]``; type 0x01 is an Ed25519
  note signature (over the note text), 0x04 a timestamped Ed25519 cosignature
  (``cosignature/v1``) over ``"cosignature/v1\\ntime <t>\\n" ‖ text``;
- a *verifier key* is ``<name>+<key ID in hex>+base64(type ‖ public key)``;
- a *checkpoint*'s text is the origin line, the tree size in decimal and the base64 root
  hash, one per line (extension lines may follow).
"""

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"  # the em dash that opens every signature line
_MAX_SIGNATURES = 64  # the spec asks verifiers to accept at least 16
_MAX_TIMESTAMP = 2**63 - 1


class NoteError(ValueError):
    """A note, checkpoint, key or signature that is malformed or does not verify."""


def key_hash(name: str, kind: int, public: bytes) -> bytes:
    """The 4-byte key ID of ``name``'s key of signature type ``kind``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise NoteError(f"bad key name {name!r}: non-empty, no spaces, no '+'")
    return name


@dataclass(frozen=True, slots=True)
class Verifier:
    """A public key a note's signature line is checked with (name, type, 32 raw bytes)."""

    name: str
    kind: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_hash(self.name, self.kind, self.public)

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([self.kind]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"


def parse_vkey(text: str) -> Verifier:
    """A verifier key string ``name+hash+base64(type ‖ key)``; its hash must match."""
    parts = text.strip().split("+", 2)  # the base64 key may hold "+" itself
    if len(parts) != 3:
        raise NoteError("a verifier key is name+keyid+base64key")
    name, hexid, material = parts
    try:
        raw = base64.b64decode(material, validate=True)
        wanted = bytes.fromhex(hexid)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("a verifier key's key ID is hex and its key base64") from exc
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError("only Ed25519 note (0x01) and cosignature/v1 (0x04) keys are known")
    verifier = Verifier(_check_name(name), raw[0], raw[1:])
    if len(wanted) != 4 or verifier.key_id != wanted:
        raise NoteError(f"verifier key {name}: its key ID does not match its key")
    return verifier


def verifier_of(name: str, private: Ed25519PrivateKey, kind: int = ED25519) -> Verifier:
    raw = serialization.Encoding.Raw
    public = private.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
    return Verifier(_check_name(name), kind, public)


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    return f"{DASH} {name} {base64.b64encode(key_id + signature).decode()}\n"


def sign(text: str, name: str, private: Ed25519PrivateKey) -> str:
    """The Ed25519 (type 0x01) signature line of ``name`` over the note ``text``."""
    verifier = verifier_of(name, private)
    return signature_line(name, verifier.key_id, private.sign(text.encode()))


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, name: str, private: Ed25519PrivateKey, timestamp: int) -> str:
    """A ``cosignature/v1`` line (type 0x04) of ``name`` over the checkpoint ``text``."""
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError("a cosignature's timestamp is a POSIX time below 2^63")
    verifier = verifier_of(name, private, COSIGNATURE_V1)
    signed = private.sign(cosigned_message(text, timestamp))
    return signature_line(name, verifier.key_id, struct.pack(">Q", timestamp) + signed)


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes  # after the key ID (a cosignature: 8-byte timestamp ‖ 64 bytes)

    @property
    def line(self) -> str:
        return signature_line(self.name, self.key_id, self.signature)


def split(note: str) -> tuple[str, list[Signature]]:
    """A note's text (with its final newline) and its signature lines, unverified."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a note holds no control characters but newlines")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a note is text, a blank line, then signature lines")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    if not lines or len(lines) > _MAX_SIGNATURES:
        raise NoteError(f"a note carries 1 to {_MAX_SIGNATURES} signatures")
    return text, [parse_signature_line(line) for line in lines]


def parse_signature_line(line: str) -> Signature:
    dash, _, rest = line.rstrip("\n").partition(" ")
    name, _, encoded = rest.partition(" ")
    if dash != DASH or not name or " " in encoded:
        raise NoteError(f"not a signature line: {line[:80]!r}")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise NoteError("a signature is base64") from exc
    if len(raw) < 5:
        raise NoteError("a signature holds a key ID and signature bytes")
    return Signature(_check_name(name), raw[:4], raw[4:])


def verify_signature(text: str, sig: Signature, verifier: Verifier) -> int | None:
    """Check one signature made by ``verifier``'s key; a cosignature's timestamp, else
    None. Raises ``NoteError`` if it does not verify."""
    if sig.name != verifier.name or sig.key_id != verifier.key_id:
        raise NoteError(f"signature of {sig.name} is not by key {verifier.vkey}")
    public = Ed25519PublicKey.from_public_bytes(verifier.public)
    timestamp: int | None = None
    if verifier.kind == COSIGNATURE_V1:
        if len(sig.signature) != 72:
            raise NoteError(f"cosignature of {sig.name}: 8 + 64 bytes expected")
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if timestamp > _MAX_TIMESTAMP:
            raise NoteError(f"cosignature of {sig.name}: timestamp beyond 2^63 - 1")
        message, signature = cosigned_message(text, timestamp), sig.signature[8:]
    else:
        message, signature = text.encode(), sig.signature
    try:
        public.verify(signature, message)
    except InvalidSignature:
        raise NoteError(f"signature of {sig.name} does not verify") from None
    return timestamp


def verified(note: str, verifiers: list[Verifier]) -> tuple[str, dict[str, int | None]]:
    """The note's text and, per known key that signed it, its name → cosignature time
    (None for a note signature). As the spec says: signatures of unknown keys are
    ignored, one bad signature of a known key rejects the note, and so does a note no
    known key signed."""
    text, signatures = split(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    signers: dict[str, int | None] = {}
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is not None:
            signers[verifier.vkey] = verify_signature(text, sig, verifier)
    if not signers:
        raise NoteError("no known key signed the note")
    return text, signers


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint's text: origin, decimal size (no leading zeros), base64 32-byte root."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
        raise NoteError("a checkpoint is origin, size and root hash lines (then extensions)")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isdigit() or not size.isascii() or (size != "0" and size.startswith("0")):
        raise NoteError(f"checkpoint size {size!r} is not a decimal without leading zeros")
    try:
        raw = base64.b64decode(root, validate=True)
    except binascii.Error as exc:
        raise NoteError("a checkpoint's root hash is base64") from exc
    if len(raw) != 32 or not origin:
        raise NoteError("a checkpoint has an origin and a 32-byte root hash")
    return Checkpoint(origin, int(size), raw, tuple(lines[3:-1]))

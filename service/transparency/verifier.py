"""The verifier's core: everything a party needs to check the operator's claims, with no
database, web framework or ledger code (``merkle`` and ``cryptography`` only), so a society
can vendor ``merkle.py`` and this file. ``docs/transparency.md`` specifies every byte.

- ``leg_line``/``commitment``/``header_bytes``/``leaf_data``: a leaf's exact bytes;
- ``sth_message``/``check_sth``: an STH's signed bytes and its Ed25519 signature;
- ``check_inclusion``/``check_consistency``: RFC 9162 proofs against an STH's root.
"""

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.transparency import merkle

LEAF_PREFIX = b"royalty-ledger/leaf/v1\n"
_MICRO = Decimal("0.000001")
# A leg's fields in the order its canonical line writes them, with each one's kind.
LEG_FIELDS: tuple[tuple[str, str], ...] = (
    ("account", "text"),
    ("currency", "text"),
    ("amount", "money"),
    ("sale_pk", "int"),
    ("right_type", "text"),
    ("isrc", "text"),
    ("iswc", "text"),
    ("territory", "text"),
    ("holder_id", "text"),
    ("society_code", "text"),
    ("non_member", "flag"),
    ("suspense_reason", "text"),
    ("share", "decimal"),
    ("units", "int"),
    ("gross", "money"),
)


class Mismatch(Exception):
    """A check failed; the message names what (line, leaf, STH)."""


def _text(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def _decimal(value: Any) -> str:
    """Without trailing zeros (``0.50`` → ``0.5``; an integral value as ``10``), as Python's
    ``str(Decimal.normalize())`` writes it."""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return str(number.normalize())


def _field(kind: str, value: Any) -> str:
    if kind == "text":
        return _text(value)
    if kind == "flag":
        return "T" if value else "F"
    if value is None:
        return "-"
    if kind == "money":
        return str(Decimal(str(value)).quantize(_MICRO))
    if kind == "decimal":
        return _decimal(value)
    return str(int(value))


def leg_line(leg: Mapping[str, Any]) -> str:
    """A leg's canonical line: its fields in ``LEG_FIELDS`` order joined by ``|``."""
    return "|".join(_field(kind, leg.get(name)) for name, kind in LEG_FIELDS)


def commitment(salt: bytes, line: str) -> bytes:
    """SHA-256(salt ‖ UTF-8 leg line): hides the leg from whoever lacks the salt."""
    return hashlib.sha256(salt + line.encode()).digest()


def timestamp_text(moment: datetime) -> str:
    """A header's ``created_at``: ISO 8601 in UTC with microseconds and ``+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def header_bytes(
    *,
    sequence: int,
    kind: str,
    reference: str,
    period: str,
    adjustment: bool,
    created_at: datetime | str,
) -> bytes:
    stamp = created_at if isinstance(created_at, str) else timestamp_text(created_at)
    fields = (str(sequence), _text(kind), _text(reference), _text(period))
    return "|".join((*fields, "T" if adjustment else "F", stamp)).encode()


def leaf_data(header: bytes, commitments: Sequence[bytes]) -> bytes:
    """Prefix ‖ header ‖ LF ‖ the legs' 32-byte commitments in ascending byte order."""
    return LEAF_PREFIX + header + b"\n" + b"".join(sorted(commitments))


def sth_message(tree_size: int, timestamp: str, root_hash: str) -> bytes:
    return f"royalty-ledger/sth/v1\n{tree_size}\n{timestamp}\n{root_hash}\n".encode("ascii")


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


def check_sth(sth: Mapping[str, Any], public_key: bytes) -> None:
    """Raise ``Mismatch`` unless ``sth`` is signed by ``public_key`` (32 raw bytes)."""
    if sth.get("key_id") != key_id(public_key):
        raise Mismatch(f"STH of size {sth.get('tree_size')}: signed by another key")
    message = sth_message(int(sth["tree_size"]), str(sth["timestamp"]), str(sth["root_hash"]))
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(sth["signature"]), message
        )
    except (InvalidSignature, ValueError) as exc:
        raise Mismatch(f"STH of size {sth['tree_size']}: bad signature") from exc


def check_inclusion(
    *, leaf_index: int, leaf: bytes, proof: Sequence[str], sth: Mapping[str, Any]
) -> None:
    size, root = int(sth["tree_size"]), bytes.fromhex(sth["root_hash"])
    hashes = [bytes.fromhex(h) for h in proof]
    if not merkle.verify_inclusion(leaf_index, size, leaf, hashes, root):
        raise Mismatch(f"leaf {leaf_index}: not included in the tree of size {size}")


def check_consistency(
    *, old: Mapping[str, Any], new: Mapping[str, Any], proof: Sequence[str]
) -> None:
    first, second = int(old["tree_size"]), int(new["tree_size"])
    ok = merkle.verify_consistency(
        first,
        second,
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        [bytes.fromhex(h) for h in proof],
    )
    if not ok:
        raise Mismatch(f"the tree of size {second} does not extend the one of size {first}")

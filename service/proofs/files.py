"""A statement's files as a society keeps them (CSV, DSR), checked against what the
operator signed: pure, like ``verifier`` (standard library and ``cryptography`` only).

The operator signs, with the key that signs tree heads, the SHA-256 of each file of a
statement together with the tree head the statement pins (``digests_message``), so a file
saved months ago can be proved to be, byte for byte, the one the operator issued under
that head; the CSV's own lines are then re-derived from the evidence (``csv_lines`` feeds
``verifier.check_lines``). ``docs/transparency.md`` §6 specifies the bytes.
"""

import base64
import csv
import hashlib
import io
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.proofs.verifier import Mismatch, key_id

DIGESTS_PREFIX = "royalty-ledger/statement-files/v1"
FILE_KINDS = ("csv", "dsr")
_BOM = b"\xef\xbb\xbf"


def digests_message(
    *, statement_id: str, tree_size: int, root_hash: str, files: Mapping[str, str]
) -> bytes:
    """The bytes signed for a statement's files: the statement, the tree head it pins and
    one ``kind sha256`` line per file kind, in ``FILE_KINDS`` order."""
    lines = [DIGESTS_PREFIX, statement_id, str(tree_size), root_hash]
    lines += [f"{kind} {files[kind]}" for kind in FILE_KINDS]
    return ("\n".join(lines) + "\n").encode("ascii")


def check_digests(
    signed: Mapping[str, Any], public_key: bytes, sth: Mapping[str, Any], statement_id: str
) -> None:
    """Raise ``Mismatch`` unless ``signed`` (``GET /v1/statements/{id}/digests``) is the
    operator's signature over this statement's files under the tree head ``sth``."""
    if signed.get("statement_id") != statement_id:
        raise Mismatch(f"the file digests are those of statement {signed.get('statement_id')}")
    if signed.get("key_id") != key_id(public_key):
        raise Mismatch("the file digests are signed by another key")
    size, root = int(signed["tree_size"]), str(signed["root_hash"])
    if size != int(sth["tree_size"]) or root != sth["root_hash"]:
        raise Mismatch(
            f"the file digests are pinned under the tree of size {size}, the statement "
            f"under the one of size {sth['tree_size']}"
        )
    message = digests_message(
        statement_id=statement_id, tree_size=size, root_hash=root, files=signed["files"]
    )
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(signed["signature"]), message
        )
    except (InvalidSignature, ValueError) as exc:
        raise Mismatch("the file digests: bad signature") from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_kind(data: bytes) -> str:
    """``csv`` or ``dsr`` from the content (a DSR opens with its HEAD record)."""
    text = data.removeprefix(_BOM)
    if text.startswith(b"HEAD\t"):
        return "dsr"
    if text.startswith(b"isrc,"):
        return "csv"
    raise Mismatch("the file is neither a statement CSV nor a DSR file")


def check_file(data: bytes, signed: Mapping[str, Any]) -> tuple[str, str]:
    """The file's kind and SHA-256, if it is the file of that kind the operator signed;
    raises ``Mismatch`` otherwise (one altered byte changes the digest)."""
    kind = file_kind(data)
    digest = sha256_hex(data)
    expected = signed["files"][kind]
    if digest != expected:
        raise Mismatch(
            f"the {kind.upper()} file's SHA-256 is {digest}, the operator signed {expected}: "
            "the file was altered (or is another statement's)"
        )
    return kind, digest


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


def csv_lines(data: bytes) -> list[dict[str, Any]]:
    """The lines of a statement CSV as ``verifier.check_lines`` reads them (empty cells are
    absent values)."""
    reader = csv.DictReader(io.StringIO(data.removeprefix(_BOM).decode("utf-8")))
    lines = []
    for row in reader:
        line: dict[str, Any] = {name: (value or None) for name, value in row.items()}
        line["adjustment"] = _flag(row.get("adjustment") or "")
        line["non_member"] = _flag(row.get("non_member") or "")
        lines.append(line)
    return lines


def detection_probability(sampled: int, total: int) -> float:
    """The chance that ``sampled`` random inclusion proofs out of ``total`` catch one altered
    transaction (sampling without replacement: sampled / total)."""
    return 1.0 if total == 0 or sampled >= total else sampled / total

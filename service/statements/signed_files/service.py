"""The operator's signature over a statement's files (``GET /v1/statements/{id}/digests``).

A society keeps the CSV or DSR it downloaded, not the JSON; for that file to be checkable
later against the transparency log, the operator signs each file's SHA-256 (its strong
ETag) together with the tree head the statement pins (``proofs.files.digests_message``).
Ed25519 signatures are deterministic, so the signature is made on request and is the same
on every request: nothing is stored and a GET never writes.
"""

from dataclasses import dataclass

from sqlmodel import Session

from service.proofs.files import FILE_KINDS, digests_message
from service.statements import service
from service.statements.exceptions import StatementNotPinned
from service.statements.formats import FileKind
from service.statements.models import Statement
from service.transparency import service as transparency
from service.transparency.signing import OperatorKey

_KINDS: tuple[FileKind, ...] = ("csv", "dsr")
assert _KINDS == FILE_KINDS  # the order the signed message lists them in


@dataclass(frozen=True)
class SignedDigests:
    statement_id: str
    tree_size: int
    root_hash: str
    files: dict[str, str]  # file kind -> SHA-256, lowercase hex
    key_id: str
    signature: str  # base64 Ed25519 over ``digests_message``


def signed_digests(*, session: Session, statement: Statement, key: OperatorKey) -> SignedDigests:
    """Every file kind's SHA-256 under the statement's pinned tree head, signed by ``key``.
    Raises ``StatementNotPinned`` for a month closed before the log existed."""
    pinned = transparency.of_period(session=session, period=statement.period)
    if pinned is None:
        raise StatementNotPinned(
            f"statement {statement.id} was closed before the transparency log existed: "
            "it pins no signed tree head"
        )
    files: dict[str, str] = {}
    for kind in _KINDS:
        rendered = service.representation(session=session, statement=statement, kind=kind)
        rendered.discard()
        files[kind] = rendered.etag
    message = digests_message(
        statement_id=statement.id,
        tree_size=pinned.tree_size,
        root_hash=pinned.root_hash,
        files=files,
    )
    return SignedDigests(
        statement.id, pinned.tree_size, pinned.root_hash, files, key.key_id, key.sign(message)
    )

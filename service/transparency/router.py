"""HTTP endpoints of the transparency log: the public key, signed tree heads, proofs."""

import base64
import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from service.auth import AdminCaller, AnyCaller, SettingsDep
from service.db import ReadSessionDep, SessionDep
from service.downloads import TOO_MANY
from service.replication import first_holding
from service.statements.dependencies import DownloadsDep
from service.statements.exceptions import StatementNotFound
from service.statements.service import get_statement
from service.transparency import evidence, service
from service.transparency.schemas import (
    AuditPublic,
    ConsistencyPublic,
    InclusionPublic,
    KeyPublic,
    SthPublic,
    sth_public,
)
from service.transparency.signing import OperatorKey, settings_key

router = APIRouter(prefix="/v1/transparency", tags=["transparency"])
# The evidence of a statement lives under the statement's own path.
evidence_router = APIRouter(prefix="/v1", tags=["transparency"])
_MAX_SIZE = 2**62  # beyond any ledger; keeps the numbers inside BIGINT
NDJSON = "application/x-ndjson"
Size = Annotated[int, Query(ge=1, le=_MAX_SIZE)]


def _key(settings: SettingsDep) -> OperatorKey:
    return settings_key(settings)


KeyDep = Annotated[OperatorKey, Depends(_key)]


@router.get("/key")
def public_key(key: KeyDep) -> KeyPublic:
    """The operator's Ed25519 public key (no authentication): what verifiers trust."""
    return KeyPublic(
        alg="Ed25519", public_key=base64.b64encode(key.public).decode(), key_id=key.key_id
    )


@router.get("/sth")
def latest_sth(session: SessionDep, key: KeyDep) -> SthPublic:
    """The signed head of the tree as it is now, dated when it reached its size (signed on
    demand; one head per size, byte-identical on every request)."""
    return sth_public(service.latest(session=session, key=key))


@router.get("/sth/{tree_size}")
def sth_of_size(
    tree_size: Annotated[int, Path(ge=0, le=_MAX_SIZE)], session: SessionDep, key: KeyDep
) -> SthPublic:
    """The head a month close signed at this size, else the on-demand head of that size
    (what `/sth` answered when the tree had it); 404 `tree_size_unknown` past the tree."""
    return sth_public(service.of_size(session=session, key=key, size=tree_size))


@router.get("/consistency")
def consistency(first: Size, second: Size, session: SessionDep, _: AnyCaller) -> ConsistencyPublic:
    """RFC 9162 §2.1.4 proof that the tree of size `second` extends the one of `first`."""
    proof = service.consistency(session=session, first=first, second=second)
    return ConsistencyPublic(first=first, second=second, proof=[h.hex() for h in proof])


@router.get("/inclusion")
def inclusion(
    leaf_index: Annotated[int, Query(ge=0, le=_MAX_SIZE)],
    tree_size: Size,
    session: SessionDep,
    _: AnyCaller,
) -> InclusionPublic:
    """RFC 9162 §2.1.3 proof that leaf `leaf_index` (ledger transaction `leaf_index + 1`)
    is in the tree of size `tree_size`."""
    leaf, proof = service.inclusion(session=session, leaf_index=leaf_index, size=tree_size)
    return InclusionPublic(
        leaf_index=leaf_index,
        tree_size=tree_size,
        leaf_hash=leaf.hex(),
        proof=[h.hex() for h in proof],
    )


@router.get("/audit")
def audit(session: SessionDep, _: AdminCaller) -> AuditPublic:
    """Recompute every leaf from the ledger's rows (salts included, which the hash chain
    does not cover) against the stored tree; `first_bad_leaf` names the first that differs."""
    bad = service.audit(session=session)
    return AuditPublic(
        ok=bad is None, tree_size=service.tree_size(session=session), first_bad_leaf=bad
    )


@evidence_router.get(
    "/statements/{statement_id}/evidence",
    responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}}}, 429: TOO_MANY},
)
def statement_evidence(
    statement_id: str,
    primary: SessionDep,
    reader: ReadSessionDep,
    caller: AnyCaller,
    downloads: DownloadsDep,
    after: Annotated[
        int, Query(ge=-1, le=_MAX_SIZE, description="Leaf index to resume after.")
    ] = -1,
) -> StreamingResponse:
    """NDJSON, streamed: the statement's record (with its pinned STH) unless resuming, then
    one record per ledger transaction behind it (leaf index, header, the caller's own legs
    with their salts, the other legs' commitments). The statement's owner or an admin."""
    # From a replica once it has replayed the statement's close (everything behind a closed
    # statement is older than the close), else from the primary.
    session, st = first_holding(
        primary=primary,
        reader=reader,
        find=lambda s: get_statement(session=s, caller=caller, statement_id=statement_id),
        missing=StatementNotFound,
    )

    def produce(reader: Session) -> Iterator[bytes]:
        for record in evidence.records(reader, st, after=after):
            yield json.dumps(record, separators=(",", ":")).encode() + b"\n"

    return StreamingResponse(downloads.stream(session, produce), media_type=NDJSON)

"""HTTP endpoints of the transparency log: the public key, signed tree heads, proofs."""

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from service.auth.dependencies import AdminCaller, AnyCaller, SettingsDep
from service.db import SessionDep
from service.timeutil import utcnow
from service.transparency import checkpoints, service, witnesses
from service.transparency.exceptions import WitnessRefused
from service.transparency.schemas import (
    AuditPublic,
    ConsistencyPublic,
    CosignRoundPublic,
    InclusionPublic,
    KeyPublic,
    SthPublic,
    WitnessIn,
    WitnessPublic,
    sth_public,
)
from service.transparency.signing import OperatorKey, settings_key

router = APIRouter(prefix="/v1/transparency", tags=["transparency"])
_MAX_SIZE = 2**62  # beyond any ledger; keeps the numbers inside BIGINT
Size = Annotated[int, Query(ge=1, le=_MAX_SIZE)]


def _key(settings: SettingsDep) -> OperatorKey:
    return settings_key(settings)


KeyDep = Annotated[OperatorKey, Depends(_key)]


@router.get("/key")
def public_key(key: KeyDep) -> KeyPublic:
    """The operator's Ed25519 public key (no authentication): what verifiers trust."""
    return KeyPublic(
        alg="Ed25519",
        public_key=base64.b64encode(key.public).decode(),
        key_id=key.key_id,
        origin=key.origin,
        verifier_key=key.note_verifier.vkey,
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
def audit(session: SessionDep, key: KeyDep, _: AdminCaller) -> AuditPublic:
    """Recompute every leaf from the ledger's rows (salts included, which the hash chain
    does not cover) against the stored tree; `first_bad_leaf` names the first that differs.
    `signer_record_matches`: the tree still has the root the signer last signed."""
    bad = service.audit(session=session)
    matches = service.matches_signer_record(session=session, key=key)
    return AuditPublic(
        ok=bad is None and matches is not False,
        tree_size=service.tree_size(session=session),
        first_bad_leaf=bad,
        signer_record_matches=matches,
    )


_NOTE = "text/plain; charset=utf-8"
_NOTE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {_NOTE: {}}, "description": "A C2SP signed note."}
}


@router.get("/checkpoint", response_class=PlainTextResponse, responses=_NOTE_RESPONSE)
def checkpoint(session: SessionDep, key: KeyDep) -> PlainTextResponse:
    """The newest tree head as a C2SP checkpoint (tlog-checkpoint, a signed note): origin,
    size, base64 root hash, a blank line, the operator's signature line, then every
    witness's cosignature/v1 line (docs/transparency.md, "Checkpoints")."""
    signed = checkpoints.signed(
        session=session, key=key, sth=service.latest(session=session, key=key)
    )
    return PlainTextResponse(signed.note, media_type=_NOTE)


@router.get("/checkpoint/{tree_size}", response_class=PlainTextResponse, responses=_NOTE_RESPONSE)
def checkpoint_of_size(
    tree_size: Annotated[int, Path(ge=0, le=_MAX_SIZE)], session: SessionDep, key: KeyDep
) -> PlainTextResponse:
    """The checkpoint of the head stored for this size (a close's, or one signed as the
    log grew), with its cosignatures; 404 `tree_size_unknown` for a size never signed."""
    sth = service.of_size(session=session, key=key, size=tree_size)
    return PlainTextResponse(
        checkpoints.signed(session=session, key=key, sth=sth).note, media_type=_NOTE
    )


def _witness_list(session: SessionDep, settings: SettingsDep) -> list[witnesses.Witness]:
    return [*witnesses.configured(settings.witnesses), *witnesses.registered(session=session)]


@router.get("/witnesses")
def list_witnesses(session: SessionDep, settings: SettingsDep) -> list[WitnessPublic]:
    """The witnesses asked to cosign (LEDGER_WITNESSES, then those registered)."""
    return [
        WitnessPublic(
            name=w.name,
            verifier_key=w.verifier.vkey,
            url=w.url,
            cosigned_size=checkpoints.cosigned_sizes(session=session, witness_vkey=w.verifier.vkey),
        )
        for w in _witness_list(session, settings)
    ]


@router.post("/witnesses", status_code=201)
def add_witness(body: WitnessIn, session: SessionDep, _: AdminCaller) -> WitnessPublic:
    """Register a witness (admin); the next round asks it to cosign."""
    try:
        found = witnesses.register(
            session=session, vkey=body.verifier_key, url=body.url, now=utcnow()
        )
    except witnesses.BadWitness as exc:
        raise WitnessRefused(str(exc)) from exc
    return WitnessPublic(
        name=found.name, verifier_key=found.verifier.vkey, url=found.url, cosigned_size=0
    )


@router.post("/witnesses/cosign")
def cosign_now(
    request: Request, session: SessionDep, key: KeyDep, settings: SettingsDep, _: AdminCaller
) -> CosignRoundPublic:
    """Run a round now (admin): sign the grown log, ask every witness to cosign what it has
    not; answers when every witness has answered (closes never wait for this)."""

    @contextmanager
    def request_session() -> Iterator[Session]:
        yield session

    cosigner = witnesses.Cosigner(request_session, key, witnesses.configured(settings.witnesses))
    return CosignRoundPublic(outcomes=cosigner.round(time.monotonic()))

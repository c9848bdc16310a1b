"""HTTP endpoints of the ledger: head and verification (a party's balances are served by
``service.parties.router``, which knows the parties)."""

from fastapi import APIRouter

from service.auth.dependencies import AdminCaller, AnyCaller
from service.db import SessionDep
from service.ledger import service
from service.ledger.schemas import HeadPublic, VerificationPublic

router = APIRouter(prefix="/v1", tags=["ledger"])


@router.get("/ledger/head")
def ledger_head(session: SessionDep, _: AnyCaller) -> HeadPublic:
    """Sequence and hash of the newest transaction (`0` and 64 zeros when empty)."""
    h = service.head(session=session)
    return HeadPublic(sequence=h.sequence, hash=h.hash)


@router.get("/ledger/verify")
def ledger_verify(session: SessionDep, _: AdminCaller) -> VerificationPublic:
    """Recompute the whole chain; `first_bad_sequence` names the first tampered transaction."""
    v = service.verify(session=session)
    return VerificationPublic(
        ok=v.ok,
        transactions=v.transactions,
        head=HeadPublic(sequence=v.head.sequence, hash=v.head.hash),
        first_bad_sequence=v.first_bad_sequence,
    )

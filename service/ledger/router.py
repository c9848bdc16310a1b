"""HTTP endpoints of the ledger: head, verification and balances."""

from typing import Annotated

from fastapi import APIRouter, Query

from service.auth import AdminCaller, AnyCaller
from service.db import SessionDep
from service.ledger import service
from service.ledger.accounts import own_account
from service.ledger.schemas import BalancePublic, BalancesPublic, HeadPublic, VerificationPublic
from service.parties.exceptions import PartyNotFound
from service.parties.service import party_exists

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


@router.get("/balances")
def balances(
    session: SessionDep,
    caller: AnyCaller,
    party: Annotated[str | None, Query(examples=["society:ROMS"])] = None,
) -> BalancesPublic:
    """Exact balances per currency, open months included. Non-admins see only their own."""
    party = party or own_account(role=caller.role, subject=caller.subject)
    visible = caller.is_admin or party == own_account(role=caller.role, subject=caller.subject)
    if party is None or not visible or not party_exists(session=session, party=party):
        raise PartyNotFound(f"No party {party}.")
    amounts = service.balances(session=session, account=party)
    return BalancesPublic(
        party=party, balances=[BalancePublic(currency=c, amount=a) for c, a in amounts.items()]
    )

"""HTTP endpoints of the ledger: head, verification and balances."""

from typing import Annotated

from fastapi import APIRouter, Query

from service.auth import AdminCaller, AnyCaller, Caller
from service.db import SessionDep
from service.ledger import service
from service.ledger.schemas import BalancePublic, BalancesPublic, HeadPublic, VerificationPublic
from service.parties.exceptions import PartyNotFound
from service.parties.service import party_exists
from service.rights import Role

router = APIRouter(prefix="/v1", tags=["ledger"])

_OWN_PARTY_PREFIX = {Role.store: "store:", Role.society: "society:", Role.rights_holder: "holder:"}


def own_party(caller: Caller) -> str | None:
    prefix = _OWN_PARTY_PREFIX.get(caller.role)
    return f"{prefix}{caller.subject}" if prefix else None


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
    party = party or own_party(caller)
    visible = caller.is_admin or party == own_party(caller)
    if party is None or not visible or not party_exists(session=session, party=party):
        raise PartyNotFound(f"No party {party}.")
    amounts = service.balances(session=session, account=party)
    return BalancesPublic(
        party=party, balances=[BalancePublic(currency=c, amount=a) for c, a in amounts.items()]
    )

"""HTTP endpoints of the ledger: head, verification and balances."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from service.auth import AdminCaller, AnyCaller, Caller
from service.db import SessionDep
from service.ledger import service
from service.ledger.accounts import own_account, parse
from service.ledger.schemas import BalancePublic, BalancesPublic, HeadPublic, VerificationPublic
from service.parties.exceptions import PartyNotFound
from service.parties.service import party_exists
from service.problems import Invalid

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
    party: Annotated[
        str | None,
        Query(
            examples=["society:ROMS"],
            description="`society:<code>`, `holder:<id>` or `store:<code>`; required for "
            "admins, defaults to the caller's own account.",
        ),
    ] = None,
) -> BalancesPublic:
    """Exact balances per currency, open months included. Non-admins see only their own."""
    account = _readable_account(session=session, caller=caller, party=party)
    amounts = service.balances(session=session, account=account)
    return BalancesPublic(
        party=account, balances=[BalancePublic(currency=c, amount=a) for c, a in amounts.items()]
    )


_PARTY_FORMS = "society:<code> (e.g. society:ROMS), holder:<id> or store:<code>"


def _readable_account(*, session: Session, caller: Caller, party: str | None) -> str:
    """The account whose balances ``caller`` asked for, or a problem saying how to ask."""
    own = own_account(role=caller.role, subject=caller.subject)
    party = party or own
    if party is None:
        raise Invalid(
            f"Name the party: ?party={_PARTY_FORMS}.",
            errors=[{"loc": ["query", "party"], "msg": "required for an admin key"}],
        )
    if parse(party) is None:
        bare = party.partition(":")[2] or party
        raise Invalid(
            f"{party!r} is not a party: write {_PARTY_FORMS}, e.g. society:{bare}.",
            errors=[{"loc": ["query", "party"], "msg": f"write it kind:name, e.g. society:{bare}"}],
        )
    if not caller.is_admin and party != own:
        # 404 whether or not it exists, so that a key learns nothing about other parties.
        mine = f"your own, {own}" if own else "none: this key owns no account"
        raise PartyNotFound(
            f"{party} is not yours to read: a {caller.role.value} key reads only {mine}."
        )
    if not party_exists(session=session, party=party):
        raise PartyNotFound(f"No party {party}.")
    return party

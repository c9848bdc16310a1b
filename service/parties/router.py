"""HTTP endpoints of the parties domain and of API keys (thin: parse, authorize, call, shape).

API keys are served here, not by ``service.auth``, because issuing one checks the party it
acts for: this way ``auth`` never imports ``parties``.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from service.auth import service as keys
from service.auth.caller import Caller
from service.auth.dependencies import (
    AdminCaller,
    AnyCaller,
    CountryFilter,
    IdFilter,
    IdPath,
    PageDep,
    SettingsDep,
    StoreCodePath,
)
from service.auth.schemas import ApiKeyCreate, ApiKeyPublic
from service.db import SessionDep
from service.errors import Invalid
from service.ledger import service as ledger
from service.ledger.accounts import own_account, parse
from service.ledger.schemas import BalancePublic, BalancesPublic
from service.pagination import Page
from service.parties import service
from service.parties.exceptions import PartyNotFound
from service.parties.schemas import (
    MandateCreate,
    MandatePublic,
    RightsHolderCreate,
    RightsHolderPublic,
    SocietyCreate,
    SocietyPublic,
    StoreCreate,
    StoreCreated,
    StoreLicence,
    StorePublic,
)
from service.rights import HolderKind, RightType

router = APIRouter(prefix="/v1")


@router.post("/api-keys", status_code=201, tags=["auth"])
def issue_api_key(data: ApiKeyCreate, session: SessionDep, _: AdminCaller) -> ApiKeyPublic:
    """Issue a key; the token is shown once, only its hash is kept."""
    key, token = service.issue_api_key(session=session, data=data)
    return ApiKeyPublic.of(key, token=token)


@router.get("/api-keys", tags=["auth"])
def list_api_keys(session: SessionDep, _: AdminCaller, page: PageDep) -> Page[ApiKeyPublic]:
    rows, cursor = keys.list_api_keys(session=session, page=page)
    return Page(data=[ApiKeyPublic.of(k) for k in rows], next_cursor=cursor)


@router.delete("/api-keys/{key_id}", status_code=204, tags=["auth"])
def revoke_api_key(key_id: IdPath, session: SessionDep, _: AdminCaller) -> Response:
    """Revoke a key; it stops working with the next request."""
    keys.revoke_api_key(session=session, key_id=key_id)
    return Response(status_code=204)


@router.post("/societies", status_code=201, tags=["parties"])
def create_society(data: SocietyCreate, session: SessionDep, _: AdminCaller) -> SocietyPublic:
    return SocietyPublic.model_validate(
        service.create_society(session=session, data=data), from_attributes=True
    )


@router.get("/societies", tags=["parties"])
def list_societies(
    session: SessionDep,
    _: AnyCaller,
    page: PageDep,
    country: CountryFilter = None,
    right_type: RightType | None = None,
    extended_collective_licensing: bool | None = None,
) -> Page[SocietyPublic]:
    rows, cursor = service.list_societies(
        session=session,
        page=page,
        country=country,
        right_type=right_type,
        extended_collective_licensing=extended_collective_licensing,
    )
    data = [SocietyPublic.model_validate(s, from_attributes=True) for s in rows]
    return Page(data=data, next_cursor=cursor)


@router.get("/societies/{code}", tags=["parties"])
def get_society(code: IdPath, session: SessionDep, _: AnyCaller) -> SocietyPublic:
    return SocietyPublic.model_validate(
        service.get_society(session=session, code=code), from_attributes=True
    )


@router.post("/stores", status_code=201, tags=["parties"])
def create_store(
    data: StoreCreate, session: SessionDep, _: AdminCaller, settings: SettingsDep
) -> StoreCreated:
    """Register a store. The answer carries its webhook signing secret, shown only here
    (and on rotation). `webhook_url`: http(s), no credentials, not this machine nor a
    private network (unless the operator allows it): 422 naming it otherwise."""
    store = service.create_store(
        session=session, data=data, allow_private_webhooks=settings.webhook_allow_private
    )
    return StoreCreated.model_validate(store, from_attributes=True)


@router.post("/stores/{code}/webhook-secret", tags=["parties"])
def rotate_webhook_secret(
    code: StoreCodePath, session: SessionDep, caller: AdminCaller
) -> StoreCreated:
    """Replace a store's webhook signing secret and show the new one, once. Webhooks not
    yet delivered are signed with the new secret."""
    store = service.rotate_webhook_secret(session=session, code=code, caller=caller)
    return StoreCreated.model_validate(store, from_attributes=True)


@router.put("/stores/{code}/licence", tags=["parties"])
def set_store_licence(
    code: StoreCodePath, data: StoreLicence | None, session: SessionDep, caller: AdminCaller
) -> StorePublic:
    """Record where a store is licensed (territory) and by which society, as shown in its
    record; a `null` body forgets it. Scenarios with `territory=store_licence` price the
    store's sales there."""
    store = service.set_store_licence(session=session, code=code, licence=data, caller=caller)
    return StorePublic.model_validate(store, from_attributes=True)


@router.get("/stores", tags=["parties"])
def list_stores(session: SessionDep, caller: AnyCaller, page: PageDep) -> Page[StorePublic]:
    rows, cursor = service.list_stores(session=session, page=page, caller=caller)
    return Page(
        data=[StorePublic.model_validate(s, from_attributes=True) for s in rows],
        next_cursor=cursor,
    )


@router.get("/stores/{code}", tags=["parties"])
def get_store(code: StoreCodePath, session: SessionDep, caller: AnyCaller) -> StorePublic:
    store = service.get_store(session=session, code=code, caller=caller)
    return StorePublic.model_validate(store, from_attributes=True)


@router.post("/rights-holders", status_code=201, tags=["parties"])
def create_rights_holder(
    data: RightsHolderCreate, session: SessionDep, _: AdminCaller
) -> RightsHolderPublic:
    holder = service.create_holder(session=session, data=data)
    return RightsHolderPublic.model_validate(holder, from_attributes=True)


@router.get("/rights-holders", tags=["parties"])
def list_rights_holders(
    session: SessionDep, caller: AnyCaller, page: PageDep, kind: HolderKind | None = None
) -> Page[RightsHolderPublic]:
    """Admin sees every holder; a holder sees itself; others see none."""
    rows, cursor = service.list_holders(session=session, page=page, caller=caller, kind=kind)
    data = [RightsHolderPublic.model_validate(h, from_attributes=True) for h in rows]
    return Page(data=data, next_cursor=cursor)


@router.get("/rights-holders/{holder_id}", tags=["parties"])
def get_rights_holder(
    holder_id: IdPath, session: SessionDep, caller: AnyCaller
) -> RightsHolderPublic:
    holder = service.get_holder(session=session, holder_id=holder_id, caller=caller)
    return RightsHolderPublic.model_validate(holder, from_attributes=True)


@router.post("/mandates", status_code=201, tags=["parties"])
def create_mandate(data: MandateCreate, session: SessionDep, _: AdminCaller) -> MandatePublic:
    mandate = service.create_mandate(session=session, data=data)
    return MandatePublic.model_validate(mandate, from_attributes=True)


@router.get("/mandates", tags=["parties"])
def list_mandates(
    session: SessionDep,
    caller: AnyCaller,
    page: PageDep,
    holder_id: IdFilter = None,
    society_code: IdFilter = None,
    right_type: Annotated[RightType | None, Query()] = None,
) -> Page[MandatePublic]:
    """Admin sees all; a society its own mandates; a holder the mandates it gave."""
    rows, cursor = service.list_mandates(
        session=session,
        page=page,
        caller=caller,
        holder_id=holder_id,
        society_code=society_code,
        right_type=right_type,
    )
    data = [MandatePublic.model_validate(m, from_attributes=True) for m in rows]
    return Page(data=data, next_cursor=cursor)


# --- balances: the ledger's figures for one party, tagged with the ledger's endpoints ---

balances_router = APIRouter(prefix="/v1", tags=["ledger"])
# The ledger's account column (ledger_leg.account): no longer party has a balance. A length
# only, no pattern: `_readable_account` explains a malformed party better than a regex can.
_ACCOUNT_MAX_LENGTH = 80


@balances_router.get("/balances")
def balances(
    session: SessionDep,
    caller: AnyCaller,
    party: Annotated[
        str | None,
        Query(
            max_length=_ACCOUNT_MAX_LENGTH,
            examples=["society:ROMS"],
            description="`society:<code>`, `holder:<id>` or `store:<code>`; required for "
            "admins, defaults to the caller's own account.",
        ),
    ] = None,
) -> BalancesPublic:
    """Exact balances per currency, open months included. Non-admins see only their own."""
    account = _readable_account(session=session, caller=caller, party=party)
    amounts = ledger.balances(session=session, account=account)
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
    if not service.party_exists(session=session, party=party):
        raise PartyNotFound(f"No party {party}.")
    return party

"""Rules of the parties domain: plain functions over a session, no HTTP."""

import base64
import secrets
import uuid
from collections.abc import Sequence

from sqlmodel import Session, SQLModel, col, select

from service.auth import service as keys
from service.auth.caller import Caller
from service.auth.models import ApiKey
from service.auth.schemas import ApiKeyCreate
from service.errors import Invalid
from service.ledger import accounts
from service.pagination import PageParams, paginate
from service.parties import webhook_url
from service.parties.exceptions import (
    BadSubject,
    EclOverlap,
    MandateRejected,
    PartyExists,
    PartyNotFound,
)
from service.parties.models import Mandate, RightsHolder, Society, Store
from service.parties.schemas import (
    MandateCreate,
    RightsHolderCreate,
    SocietyCreate,
    StoreCreate,
    StoreLicence,
)
from service.rights import RightType, Role
from service.timeutil import ranges_overlap, utcnow


def new_id() -> str:
    return uuid.uuid4().hex


# --- societies -------------------------------------------------------------------------


def create_society(*, session: Session, data: SocietyCreate) -> Society:
    if session.get(Society, data.code) is not None:
        raise PartyExists(f"Society {data.code} already exists.", party=accounts.society(data.code))
    if data.extended_collective_licensing:
        for other in session.exec(
            select(Society).where(
                Society.country == data.country, col(Society.extended_collective_licensing)
            )
        ):
            shared = set(other.right_types) & set(data.right_types)
            if shared:
                raise EclOverlap(
                    f"Society {other.code} already collects for non-members in {data.country} "
                    f"for {', '.join(sorted(shared))}.",
                    party=accounts.society(other.code),
                )
    # `_` separates DSR file-name elements, so a default taken from the code swaps it for `-`.
    society = Society.model_validate(
        {**data.model_dump(), "dsr_name": data.dsr_name or data.code.replace("_", "-")}
    )
    society.right_types = [str(r) for r in data.right_types]
    session.add(society)
    session.flush()
    return society


def get_society(*, session: Session, code: str) -> Society:
    society = session.get(Society, code)
    if society is None:
        raise PartyNotFound(f"No society {code}.")
    return society


def list_societies(
    *,
    session: Session,
    page: PageParams,
    country: str | None = None,
    right_type: RightType | None = None,
    extended_collective_licensing: bool | None = None,
) -> tuple[Sequence[Society], str | None]:
    query = select(Society)
    if country:
        query = query.where(Society.country == country.upper())
    if extended_collective_licensing is not None:
        query = query.where(Society.extended_collective_licensing == extended_collective_licensing)
    rows, cursor = paginate(session, query, key=Society.code, params=page)
    if right_type is not None:
        # JSON containment is dialect-specific; societies are few, so filter the page here.
        rows = [s for s in rows if right_type in s.right_types]
    return rows, cursor


def ecl_societies(*, session: Session) -> dict[tuple[str, str], str]:
    """(country, right type) -> the society collecting there for non-members."""
    result: dict[tuple[str, str], str] = {}
    for society in session.exec(select(Society).where(col(Society.extended_collective_licensing))):
        for right_type in society.right_types:
            result[(society.country, right_type)] = society.code
    return result


# --- stores ----------------------------------------------------------------------------


def create_store(
    *, session: Session, data: StoreCreate, allow_private_webhooks: bool = False
) -> Store:
    """A new store; its ``webhook_url`` must not point at this machine or a private network
    unless the operator allows it (``parties.webhook_url``)."""
    if data.webhook_url is not None:
        why = webhook_url.problem(data.webhook_url, allow_private=allow_private_webhooks)
        if why is not None:
            raise Invalid(
                f"webhook_url: {why}.", errors=[{"loc": ["body", "webhook_url"], "msg": why}]
            )
    if session.get(Store, data.code) is not None:
        raise PartyExists(f"Store {data.code} already exists.", party=accounts.store(data.code))
    if data.licence is not None:
        _licensing_society(session, data.licence, loc="licence")
    store = Store.model_validate(data.model_dump(exclude={"licence"}))
    if data.licence is not None:
        store.licence_territory = data.licence.territory
        store.licence_society = data.licence.society_code
    store.webhook_secret = new_webhook_secret()
    session.add(store)
    session.flush()
    return store


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64 (192 bits)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def rotate_webhook_secret(*, session: Session, code: str, caller: Caller) -> Store:
    """A new signing secret for a store; webhooks not yet delivered are signed with it."""
    store = get_store(session=session, code=code, caller=caller)
    store.webhook_secret = new_webhook_secret()
    session.add(store)
    session.flush()
    return store


def set_store_licence(
    *, session: Session, code: str, licence: StoreLicence | None, caller: Caller
) -> Store:
    """Record (or, with None, forget) where a store is licensed and by which society."""
    store = get_store(session=session, code=code, caller=caller)
    if licence is not None:
        _licensing_society(session, licence, loc=None)
    store.licence_territory = None if licence is None else licence.territory
    store.licence_society = None if licence is None else licence.society_code
    session.add(store)
    session.flush()
    return store


def _licensing_society(session: Session, licence: StoreLicence, *, loc: str | None) -> None:
    if session.get(Society, licence.society_code) is None:
        where = ["body", *([loc] if loc else []), "society_code"]
        why = f"no society {licence.society_code}"
        raise Invalid(f"licence: {why}.", errors=[{"loc": where, "msg": why}])


def get_store(*, session: Session, code: str, caller: Caller) -> Store:
    store = session.get(Store, code)
    if store is None or not (caller.is_admin or caller.subject == code):
        raise PartyNotFound(f"No store {code}.")
    return store


def list_stores(
    *, session: Session, page: PageParams, caller: Caller
) -> tuple[Sequence[Store], str | None]:
    query = select(Store)
    if not caller.is_admin:
        query = query.where(Store.code == caller.subject)
    return paginate(session, query, key=Store.code, params=page)


# --- rights holders --------------------------------------------------------------------


def create_holder(
    *, session: Session, data: RightsHolderCreate, holder_id: str | None = None
) -> RightsHolder:
    """A new rights holder; ``holder_id`` fixes its id (the demo's, which the API's
    examples name), otherwise a new one is drawn."""
    for field in ("ipi", "isni"):
        value = getattr(data, field)
        if (
            value
            and session.exec(
                select(RightsHolder).where(getattr(RightsHolder, field) == value)
            ).first()
        ):
            raise PartyExists(f"A rights holder with {field.upper()} {value} already exists.")
    holder_id = holder_id or new_id()
    holder = RightsHolder(
        id=holder_id, **{**data.model_dump(), "dsr_name": data.dsr_name or holder_id}
    )
    session.add(holder)
    session.flush()
    return holder


def get_holder(*, session: Session, holder_id: str, caller: Caller | None = None) -> RightsHolder:
    holder = session.get(RightsHolder, holder_id)
    visible = caller is None or caller.is_admin or caller.subject == holder_id
    if holder is None or not visible:
        raise PartyNotFound(f"No rights holder {holder_id}.")
    return holder


def list_holders(
    *, session: Session, page: PageParams, caller: Caller, kind: str | None = None
) -> tuple[Sequence[RightsHolder], str | None]:
    query = select(RightsHolder)
    if not caller.is_admin:
        query = query.where(RightsHolder.id == caller.subject)
    if kind:
        query = query.where(RightsHolder.kind == kind)
    return paginate(session, query, key=RightsHolder.id, params=page)


# --- mandates --------------------------------------------------------------------------


def create_mandate(*, session: Session, data: MandateCreate) -> Mandate:
    get_holder(session=session, holder_id=data.holder_id)
    society = get_society(session=session, code=data.society_code)
    if data.right_type not in society.right_types:
        raise MandateRejected(
            f"{society.code} administers {', '.join(society.right_types)}, not {data.right_type}.",
            errors=[{"loc": ["body", "right_type"], "msg": "not administered by this society"}],
        )
    clash = _overlapping_mandate(session=session, data=data)
    if clash is not None:
        raise PartyExists(
            f"Mandate {clash.id} already gives {clash.society_code} the holder's "
            f"{data.right_type} right in an overlapping territory and period.",
            mandate_id=clash.id,
        )
    mandate = Mandate.model_validate(data.model_dump())
    session.add(mandate)
    session.flush()
    return mandate


def _overlapping_mandate(*, session: Session, data: MandateCreate) -> Mandate | None:
    candidates = session.exec(
        select(Mandate).where(
            Mandate.holder_id == data.holder_id, Mandate.right_type == data.right_type
        )
    )
    for mandate in candidates:
        territories_meet = (
            "WORLD" in mandate.territories
            or "WORLD" in data.territories
            or set(mandate.territories) & set(data.territories)
        )
        if territories_meet and ranges_overlap(
            mandate.valid_from, mandate.valid_to, data.valid_from, data.valid_to
        ):
            return mandate
    return None


def list_mandates(
    *,
    session: Session,
    page: PageParams,
    caller: Caller,
    holder_id: str | None = None,
    society_code: str | None = None,
    right_type: RightType | None = None,
) -> tuple[Sequence[Mandate], str | None]:
    query = select(Mandate)
    if caller.role is Role.rights_holder:
        query = query.where(Mandate.holder_id == caller.subject)
    elif caller.role is Role.society:
        query = query.where(Mandate.society_code == caller.subject)
    elif not caller.is_admin:
        query = query.where(Mandate.id == -1)
    if holder_id:
        query = query.where(Mandate.holder_id == holder_id)
    if society_code:
        query = query.where(Mandate.society_code == society_code)
    if right_type:
        query = query.where(Mandate.right_type == right_type)
    return paginate(session, query, key=Mandate.id, params=page, convert=int)


# --- API keys --------------------------------------------------------------------------


def issue_api_key(*, session: Session, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """A key for the party it acts for (which must exist); see ``auth.service``."""
    _check_subject(session=session, role=data.role, subject=data.subject)
    keys.check_limits(role=data.role, expires_at=data.expires_at, scopes=data.scopes, now=utcnow())
    return keys.issue_api_key(
        session=session,
        role=data.role,
        subject=data.subject,
        expires_at=data.expires_at,
        scopes=data.scopes,
    )


def _check_subject(*, session: Session, role: Role, subject: str | None) -> None:
    if role is Role.admin:
        if subject is not None:
            raise BadSubject("An admin key has no subject.")
        return
    models: dict[Role, type[SQLModel]] = {
        Role.store: Store,
        Role.society: Society,
        Role.rights_holder: RightsHolder,
    }
    model = models[role]
    if subject is None or session.get(model, subject) is None:
        raise BadSubject(
            f"A {role.value} key needs the {role.value.replace('_', ' ')} it acts for; "
            f"{subject!r} does not exist.",
            errors=[{"loc": ["body", "subject"], "msg": "unknown subject"}],
        )


def party_exists(*, session: Session, party: str) -> bool:
    """``society:ROMS`` / ``holder:<id>`` / ``store:<code>`` names an existing party."""
    kind, _, ident = party.partition(":")
    models: dict[str, type[SQLModel]] = {
        "society": Society,
        "holder": RightsHolder,
        "store": Store,
    }
    model = models.get(kind)
    return model is not None and bool(ident) and session.get(model, ident) is not None


def society_right_types(*, session: Session, code: str | None) -> set[str]:
    """The right types a society collects (none for an unknown code)."""
    society = session.get(Society, code) if code else None
    return set(society.right_types) if society else set()


def holder_names(*, session: Session, holder_ids: set[str]) -> dict[str, str]:
    """Holder id -> name of each holder named (unknown ones are left out)."""
    if not holder_ids:
        return {}
    query = select(RightsHolder.id, RightsHolder.name).where(col(RightsHolder.id).in_(holder_ids))
    return dict(session.exec(query).all())


def store_licences(
    *, session: Session, codes: Sequence[str] | None = None
) -> dict[str, str | None]:
    """Store code -> the territory of its licence (None: not recorded), for ``codes`` or all."""
    query = select(Store.code, Store.licence_territory)
    if codes is not None:
        query = query.where(col(Store.code).in_(sorted(set(codes))))
    return {code: territory for code, territory in session.exec(query)}

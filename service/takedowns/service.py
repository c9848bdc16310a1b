"""Rules of takedowns (opt-out with proof of ownership).

A takedown is requested (``pending``), then approved or rejected by an admin; an
approved one may be lifted. The ``takedown`` row holds the current state, changed only
by conditional UPDATEs (``... WHERE status = 'pending'``) so two admins deciding at once
cannot both succeed; ``takedown_event`` keeps every change, append-only.
"""

import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, update
from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.catalog.models import Recording, Work
from service.identifiers import WORLD
from service.pagination import PageParams, paginate
from service.parties.models import RightsHolder
from service.rights import Role
from service.takedowns import webhooks
from service.takedowns.exceptions import (
    NoShare,
    NotForYourself,
    TakedownInvalid,
    TakedownNotFound,
    WrongStatus,
)
from service.takedowns.models import (
    APPROVED,
    LIFTED,
    PENDING,
    REJECTED,
    Takedown,
    TakedownEvent,
    TakedownTerritory,
    TakedownView,
)
from service.takedowns.ownership import assets_of, has_any_share, territories_without_share
from service.takedowns.schemas import (
    DecisionIn,
    LiftIn,
    TakedownCreate,
    TakedownStatus,
    TakedownWebhook,
    TakedownWebhookData,
)
from service.takedowns.withdrawn import SaleAsset, withdrawn_sales
from service.timeutil import utcnow

# The sales path imports the withdrawn check from here (its published contract).
__all__ = [
    "SaleAsset",
    "decide",
    "describe",
    "get_takedown",
    "lift",
    "list_takedowns",
    "request_takedown",
    "withdrawn_sales",
]

ADMIN_TOKEN_ACTOR = "admin-token"  # noqa: S105 (who acted: the bootstrap token, not it)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _new_id() -> str:
    # Microseconds first, so ids sort by creation and the keyset pages list oldest first.
    micros = (utcnow() - _EPOCH) // timedelta(microseconds=1)
    return f"{micros:014x}{secrets.token_hex(9)}"


def _event(
    takedown_id: str, caller: Caller, action: str, status: str, **fields: Any
) -> TakedownEvent:
    return TakedownEvent(
        takedown_id=takedown_id,
        action=action,
        status=status,
        actor=caller.key_id or ADMIN_TOKEN_ACTOR,
        actor_role=caller.role.value,
        **fields,
    )


# --- requests --------------------------------------------------------------------------


def request_takedown(*, session: Session, caller: Caller, data: TakedownCreate) -> Takedown:
    """File a ``pending`` takedown; a rights holder only for itself."""
    if caller.role is Role.rights_holder and data.claimant_holder_id != caller.subject:
        raise NotForYourself("A rights holder files takedowns only for itself.")
    errors: list[dict[str, Any]] = []
    if data.isrc is not None and session.get(Recording, data.isrc) is None:
        errors.append({"loc": ["body", "isrc"], "msg": f"no recording {data.isrc}"})
    if data.iswc is not None and session.get(Work, data.iswc) is None:
        errors.append({"loc": ["body", "iswc"], "msg": f"no work {data.iswc}"})
    if session.get(RightsHolder, data.claimant_holder_id) is None:
        errors.append({"loc": ["body", "claimant_holder_id"], "msg": "no such rights holder"})
    if errors:
        raise TakedownInvalid("; ".join(e["msg"] for e in errors), errors=errors)
    if caller.role is Role.rights_holder:
        _require_some_share(session, data)
    takedown = Takedown(
        id=_new_id(),
        isrc=data.isrc,
        iswc=data.iswc,
        claimant_holder_id=data.claimant_holder_id,
        evidence_kind=data.evidence.kind.value,
        evidence_reference=data.evidence.reference,
        evidence_sha256=data.evidence.sha256,
    )
    session.add(takedown)
    session.flush()
    session.add_all(
        TakedownTerritory(takedown_id=takedown.id, territory=t) for t in data.territories
    )
    session.add(
        _event(
            takedown.id,
            caller,
            "requested",
            PENDING,
            evidence=data.evidence.model_dump(mode="json"),
        )
    )
    session.flush()
    return takedown


def _require_some_share(session: Session, data: TakedownCreate) -> None:
    """Refuse a holder's request for an asset it holds no share of at all (of any date
    or territory): it could never be approved. Where and when it holds one is checked on
    the decision (``_require_share``). An admin may still file for a claimant whose
    share is yet to be registered; the decision refuses it until then."""
    assets = assets_of(session=session, isrc=data.isrc, iswc=data.iswc)
    if has_any_share(session=session, holder_id=data.claimant_holder_id, assets=assets):
        return
    asset = f"recording {data.isrc} (or its work)" if data.isrc else f"work {data.iswc}"
    field = "isrc" if data.isrc else "iswc"
    raise NoShare(
        f"Holder {data.claimant_holder_id} holds no share of {asset}: only a holder of a "
        f"share can ask for its takedown.",
        errors=[{"loc": ["body", field], "msg": "the claimant holds no share of it"}],
    )


def decide(*, session: Session, caller: Caller, takedown_id: str, data: DecisionIn) -> Takedown:
    """Approve (only on proof of a share, checked on the decision date) or reject."""
    takedown = _get(session, takedown_id)
    if takedown.status != PENDING:
        raise WrongStatus(
            f"Takedown {takedown_id} was already decided ({takedown.status}).",
            takedown_id=takedown_id,
            current_status=takedown.status,
        )
    now = utcnow()
    if data.approve:
        effective_at = data.effective_at or now
        _require_share(session, takedown, on=now)
        status, action = APPROVED, "approved"
    else:
        if not data.reason:
            raise TakedownInvalid(
                "A rejection needs a reason.",
                errors=[{"loc": ["body", "reason"], "msg": "required to reject"}],
            )
        effective_at, status, action = None, REJECTED, "rejected"
    _transition(
        session,
        takedown_id,
        expected=PENDING,
        status=status,
        decided_at=now,
        effective_at=effective_at,
    )
    session.add(
        _event(takedown_id, caller, action, status, effective_at=effective_at, reason=data.reason)
    )
    session.flush()
    if status == APPROVED:
        _notify_stores(session, takedown, APPROVED)
    return takedown


def lift(*, session: Session, caller: Caller, takedown_id: str, data: LiftIn) -> Takedown:
    """End an approved takedown: sales dated from the lift's ``effective_at`` are fine."""
    takedown = _get(session, takedown_id)
    if takedown.status != APPROVED:
        raise WrongStatus(
            f"Only an approved takedown can be lifted; {takedown_id} is {takedown.status}.",
            takedown_id=takedown_id,
            current_status=takedown.status,
        )
    effective_at = data.effective_at or utcnow()
    assert takedown.effective_at is not None
    if effective_at < takedown.effective_at:
        raise TakedownInvalid(
            f"The lift cannot take effect before the takedown did ({takedown.effective_at}).",
            errors=[{"loc": ["body", "effective_at"], "msg": "before the takedown's effective_at"}],
        )
    _transition(
        session, takedown_id, expected=APPROVED, status=LIFTED, lift_effective_at=effective_at
    )
    session.add(
        _event(takedown_id, caller, "lifted", LIFTED, effective_at=effective_at, reason=data.reason)
    )
    session.flush()
    _notify_stores(session, takedown, LIFTED)
    return takedown


def _transition(
    session: Session, takedown_id: str, *, expected: str, status: str, **values: Any
) -> None:
    # The WHERE on the old status makes the check and the change one atomic step: a
    # concurrent decision waits for the row lock, then matches nothing.
    result = session.execute(
        update(Takedown)
        .where(col(Takedown.id) == takedown_id, col(Takedown.status) == expected)
        .values(status=status, **values)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise WrongStatus(
            f"Takedown {takedown_id} changed meanwhile; read it again.", takedown_id=takedown_id
        )


def _require_share(session: Session, takedown: Takedown, *, on: datetime) -> None:
    territories = _territories(session, [takedown.id])[takedown.id]
    missing = territories_without_share(
        session=session,
        holder_id=takedown.claimant_holder_id,
        assets=assets_of(session=session, isrc=takedown.isrc, iswc=takedown.iswc),
        territories=territories,
        on=on.date(),
    )
    if not missing:
        return
    asset = f"recording {takedown.isrc} (or its work)" if takedown.isrc else f"work {takedown.iswc}"
    if territories == [WORLD] and WORLD not in missing:
        where = (
            f"every territory: it holds WORLD shares, but territory-specific shares replace "
            f"them in {', '.join(missing)} and it holds none there; name the territories instead"
        )
    else:
        where = ", ".join(missing)
    raise NoShare(
        f"Holder {takedown.claimant_holder_id} holds no share of {asset} on {on.date()} "
        f"in {where}.",
        takedown_id=takedown.id,
        territories_without_share=missing,
        on=on.date().isoformat(),
    )


def _notify_stores(session: Session, takedown: Takedown, event: str) -> None:
    """Queue the webhooks in this transaction (``webhooks.enqueue``): only what a store
    needs to act, never the evidence or who decided."""
    view = describe(session=session, takedowns=[takedown])[0]
    t = view.takedown
    session.refresh(t)  # the conditional UPDATE changed the row behind the session's back
    notice = TakedownWebhook(
        type="takedown.approved" if event == APPROVED else "takedown.lifted",
        timestamp=utcnow(),
        data=TakedownWebhookData(
            takedown_id=t.id,
            action="approved" if event == APPROVED else "lifted",
            status=TakedownStatus(t.status),
            isrc=t.isrc,
            iswc=t.iswc,
            isrcs=view.isrcs,
            territories=view.territories,
            effective_at=t.effective_at,
            lift_effective_at=t.lift_effective_at,
        ),
    )
    webhooks.enqueue(session, notice=notice)


# --- reading ---------------------------------------------------------------------------


def _get(session: Session, takedown_id: str) -> Takedown:
    takedown = session.get(Takedown, takedown_id)
    if takedown is None:
        raise TakedownNotFound(f"No takedown {takedown_id}.")
    return takedown


def last_event(session: Session) -> int | None:
    """The newest event: every change to a takedown appends one (the replicas' watermark)."""
    return session.exec(select(func.max(col(TakedownEvent.id)))).one()


def get_takedown(*, session: Session, caller: Caller, takedown_id: str) -> Takedown:
    takedown = session.get(Takedown, takedown_id)
    if takedown is None or (
        caller.role is Role.rights_holder and takedown.claimant_holder_id != caller.subject
    ):
        raise TakedownNotFound(f"No takedown {takedown_id}.")
    return takedown


def list_takedowns(
    *,
    session: Session,
    caller: Caller,
    page: PageParams,
    status: TakedownStatus | None = None,
    territory: str | None = None,
    isrc: str | None = None,
    iswc: str | None = None,
    claimant_holder_id: str | None = None,
) -> tuple[Sequence[Takedown], str | None]:
    """Oldest first. ``territory`` matches takedowns naming it or ``WORLD``; ``isrc``
    matches takedowns of that recording and of its work."""
    query = select(Takedown)
    if caller.role is Role.rights_holder:
        query = query.where(Takedown.claimant_holder_id == caller.subject)
    if claimant_holder_id:
        query = query.where(Takedown.claimant_holder_id == claimant_holder_id)
    if status is not None:
        query = query.where(Takedown.status == status.value)
    if territory:
        covering = select(TakedownTerritory.takedown_id).where(
            col(TakedownTerritory.territory).in_({territory, WORLD})
        )
        query = query.where(col(Takedown.id).in_(covering))
    if isrc:
        work_of = select(Recording.iswc).where(Recording.isrc == isrc)
        query = query.where(or_(col(Takedown.isrc) == isrc, col(Takedown.iswc).in_(work_of)))
    if iswc:
        query = query.where(Takedown.iswc == iswc)
    return paginate(session, query, key=Takedown.id, params=page)


def _territories(session: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    rows = session.exec(
        select(TakedownTerritory)
        .where(col(TakedownTerritory.takedown_id).in_(ids))
        .order_by(col(TakedownTerritory.territory))
    )
    for row in rows:
        result[row.takedown_id].append(row.territory)
    return result


def describe(*, session: Session, takedowns: Sequence[Takedown]) -> list[TakedownView]:
    """A page of takedowns with their territories, recordings and history: three
    queries whatever the page size."""
    ids = [t.id for t in takedowns]
    territories = _territories(session, ids)
    history: dict[str, list[TakedownEvent]] = defaultdict(list)
    events = session.exec(
        select(TakedownEvent)
        .where(col(TakedownEvent.takedown_id).in_(ids))
        .order_by(col(TakedownEvent.id))
    )
    for e in events:
        history[e.takedown_id].append(e)
    recordings_of: dict[str, list[str]] = defaultdict(list)
    works = {t.iswc for t in takedowns if t.iswc}
    if works:
        rows = session.exec(
            select(Recording.isrc, Recording.iswc)
            .where(col(Recording.iswc).in_(works))
            .order_by(col(Recording.isrc))
        )
        for recording_isrc, work_iswc in rows:
            recordings_of[str(work_iswc)].append(recording_isrc)
    return [
        TakedownView(
            takedown=t,
            territories=territories[t.id],
            isrcs=[t.isrc] if t.isrc else recordings_of[str(t.iswc)],
            history=history[t.id],
        )
        for t in takedowns
    ]

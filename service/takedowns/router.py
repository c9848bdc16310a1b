"""HTTP endpoints of the takedowns domain.

Who may do what: a rights holder files and reads its own takedowns (someone else's is
404); an admin decides and lifts, and reads all; a store reads all, so it can pull what
it must stop selling. Societies get 403: takedowns are between a holder, the operator and
the stores, and a society sees their effect on its statements.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from service.auth.dependencies import (
    AdminCaller,
    FilerCaller,
    IdFilter,
    IdPath,
    IsrcFilter,
    IswcFilter,
    PageDep,
    TakedownReader,
    TerritoryFilter,
)
from service.db import ReadSessionDep, SessionDep
from service.errors import Invalid
from service.identifiers import normalize_isrc, normalize_iswc, normalize_territory
from service.pagination import Page
from service.replication import fresh_reader
from service.takedowns import service
from service.takedowns.models import Takedown
from service.takedowns.schemas import (
    DecisionIn,
    LiftIn,
    TakedownCreate,
    TakedownPublic,
    TakedownStatus,
    takedown_public,
)

router = APIRouter(prefix="/v1", tags=["takedowns"])


def _one(session: Session, takedown: Takedown) -> TakedownPublic:
    return takedown_public(service.describe(session=session, takedowns=[takedown])[0])


def _query(name: str, value: str | None, normalize: Callable[[str], str]) -> str | None:
    if value is None:
        return None
    try:
        return normalize(value)
    except ValueError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["query", name], "msg": str(exc)}]) from None


@router.post("/takedowns", status_code=201)
def request_takedown(
    data: TakedownCreate, session: SessionDep, caller: FilerCaller
) -> TakedownPublic:
    """File a takedown (status `pending`). A rights holder files only for itself (else
    403); evidence of ownership is required; the recording or work must exist."""
    takedown = service.request_takedown(session=session, caller=caller, data=data)
    return _one(session, takedown)


@router.get("/takedowns")
def list_takedowns(
    primary: SessionDep,
    reader: ReadSessionDep,
    caller: TakedownReader,
    page: PageDep,
    status: TakedownStatus | None = None,
    territory: Annotated[
        TerritoryFilter, Query(description="Takedowns in force there: naming it or WORLD.")
    ] = None,
    isrc: Annotated[
        IsrcFilter, Query(description="Takedowns of this recording or of its work.")
    ] = None,
    iswc: Annotated[IswcFilter, Query(description="Takedowns of this work.")] = None,
    claimant_holder_id: IdFilter = None,
) -> Page[TakedownPublic]:
    """Oldest first, each with its full history. A rights holder sees its own only."""
    session = fresh_reader(primary=primary, reader=reader, watermark=service.last_event)
    rows, cursor = service.list_takedowns(
        session=session,
        caller=caller,
        page=page,
        status=status,
        territory=_query("territory", territory, normalize_territory),
        isrc=_query("isrc", isrc, normalize_isrc),
        iswc=_query("iswc", iswc, normalize_iswc),
        claimant_holder_id=claimant_holder_id,
    )
    views = service.describe(session=session, takedowns=rows)
    return Page(data=[takedown_public(v) for v in views], next_cursor=cursor)


@router.get("/takedowns/{takedown_id}")
def get_takedown(
    takedown_id: IdPath, primary: SessionDep, reader: ReadSessionDep, caller: TakedownReader
) -> TakedownPublic:
    """Status and full history: who, in which role, when, what, why, with what evidence."""
    session = fresh_reader(primary=primary, reader=reader, watermark=service.last_event)
    takedown = service.get_takedown(session=session, caller=caller, takedown_id=takedown_id)
    return _one(session, takedown)


@router.post("/takedowns/{takedown_id}/decision")
def decide_takedown(
    takedown_id: IdPath, data: DecisionIn, session: SessionDep, caller: AdminCaller
) -> TakedownPublic:
    """Approve or reject a pending takedown (twice → 409). Approval is refused (422,
    code `no_share`) unless the claimant holds, on the decision date, a share of the
    asset (for an ISRC: of the recording or of its work) in every territory named; for
    `WORLD`, in every territory. Rejection needs a `reason`."""
    takedown = service.decide(session=session, caller=caller, takedown_id=takedown_id, data=data)
    return _one(session, takedown)


@router.post("/takedowns/{takedown_id}/lift")
def lift_takedown(
    takedown_id: IdPath, data: LiftIn, session: SessionDep, caller: AdminCaller
) -> TakedownPublic:
    """Lift an approved takedown: sales dated from `effective_at` on are accepted again;
    those dated between the takedown's and the lift's `effective_at` stay withdrawn."""
    takedown = service.lift(session=session, caller=caller, takedown_id=takedown_id, data=data)
    return _one(session, takedown)

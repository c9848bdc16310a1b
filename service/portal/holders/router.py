"""Rights holders' pages: remittance lines across societies, takedowns (file, follow)."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from service.db import SessionDep
from service.errors import DomainError
from service.pagination import PageParams
from service.parties import service as parties
from service.portal import audit
from service.portal.dependencies import HolderPage, PortalPost, error_page, render
from service.portal.sessions import SignedIn
from service.rights import Role
from service.statements import service as statements
from service.statements.render.lines import line_values
from service.takedowns import service as takedowns
from service.takedowns.schemas import EvidenceKind, TakedownCreate, takedown_public

router = APIRouter(prefix="/portal", include_in_schema=False)


@router.get("/remittance", response_class=HTMLResponse)
def remittance(
    request: Request,
    session: SessionDep,
    who: HolderPage,
    period: Annotated[str | None, Query(pattern=r"^(\d{4}-\d{2})?$")] = None,
    cursor: str | None = None,
) -> Response:
    """A holder's own lines on every society statement (the API's /v1/royalties)."""
    if who.caller.role is not Role.rights_holder or who.caller.subject is None:
        return render(request, "remittance.html", who, rows=[], next_cursor=None, period=period)
    try:
        rows, next_cursor = statements.remittance(
            session=session,
            caller=who.caller,
            holder_id=who.caller.subject,
            period=period or None,
            page=PageParams(limit=200, cursor=cursor),
        )
    except DomainError as exc:
        return error_page(request, who, exc)
    shown = [
        {**line_values(line, st), "society": st.party, "period": st.period} for line, st in rows
    ]
    return render(
        request, "remittance.html", who, rows=shown, next_cursor=next_cursor, period=period
    )


def takedown_page(
    request: Request,
    session: SessionDep,
    who: SignedIn,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    decision_errors: list[str] | None = None,
) -> Response:
    rows, _ = takedowns.list_takedowns(
        session=session, caller=who.caller, page=PageParams(limit=1000, cursor=None)
    )
    views = [takedown_public(v) for v in takedowns.describe(session=session, takedowns=rows)]
    claimants = {v.claimant_holder_id for v in views}
    return render(
        request,
        "takedowns.html",
        who,
        status=status,
        takedowns=views,
        kinds=[k.value for k in EvidenceKind],
        errors=errors or [],
        form=form or {},
        decision_errors=decision_errors or [],
        holders=parties.holder_names(session=session, holder_ids=claimants),
    )


@router.get("/takedowns", response_class=HTMLResponse)
def takedown_list(request: Request, session: SessionDep, who: HolderPage) -> Response:
    return takedown_page(request, session, who)


@router.post("/takedowns")
def file_takedown(
    request: Request,
    session: SessionDep,
    who: PortalPost,
    asset: Annotated[str, Form()] = "",
    territories: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    sha256: Annotated[str, Form()] = "",
) -> Response:
    """File a takedown for the signed-in holder; the evidence is its SHA-256 only."""
    form = {
        "asset": asset,
        "territories": territories,
        "kind": kind,
        "reference": reference,
        "sha256": sha256,
    }
    if who.caller.role is not Role.rights_holder or who.caller.subject is None:
        return takedown_page(
            request,
            session,
            who,
            status=403,
            errors=["Only rights holders file takedowns here."],
            form=form,
        )
    key = "iswc" if asset.strip().upper().startswith("T") else "isrc"
    try:
        data = TakedownCreate.model_validate(
            {
                key: asset.strip(),
                "territories": [t.strip().upper() for t in territories.split(",") if t.strip()],
                "claimant_holder_id": who.caller.subject,
                "evidence": {"kind": kind, "reference": reference, "sha256": sha256},
            }
        )
        created = takedowns.request_takedown(session=session, caller=who.caller, data=data)
    except ValidationError as exc:
        errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return takedown_page(request, session, who, status=422, errors=errors, form=form)
    except DomainError as exc:
        return takedown_page(request, session, who, status=exc.status, errors=[str(exc)], form=form)
    audit.action(who.caller, "takedown-request", takedown_id=created.id)
    return RedirectResponse(f"/portal/takedowns#t-{created.id}", status_code=303)

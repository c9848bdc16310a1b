"""Admins decide takedowns in the portal: approve, reject, lift, with the evidence shown
on the takedowns page. Each goes through ``takedowns.service`` (the API's own rules: an
approval needs the claimant's share on the decision date, a rejection a reason)."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from service.db import SessionDep
from service.errors import DomainError
from service.portal import audit
from service.portal.dependencies import AdminPage, checked
from service.portal.holders.router import takedown_page
from service.takedowns import service as takedowns
from service.takedowns.schemas import DecisionIn, LiftIn

router = APIRouter(prefix="/portal/admin/takedowns", include_in_schema=False)


def _instant(day: date | None) -> str | None:
    """A date picked in the form: that day's start, UTC (the API takes an instant)."""
    return None if day is None else f"{day.isoformat()}T00:00:00Z"


def _refused(request: Request, session: SessionDep, who: AdminPage, why: list[str]) -> Response:
    return takedown_page(request, session, who, status=422, decision_errors=why)


@router.post("/{takedown_id}/decision")
def decide(
    request: Request,
    takedown_id: str,
    session: SessionDep,
    who: AdminPage,
    decision: Annotated[Literal["approve", "reject"], Form()],
    effective_on: Annotated[date | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    checked(who, csrf_token)
    try:
        data = DecisionIn.model_validate(
            {
                "approve": decision == "approve",
                "effective_at": _instant(effective_on) if decision == "approve" else None,
                "reason": reason.strip() or None,
            }
        )
        takedowns.decide(session=session, caller=who.caller, takedown_id=takedown_id, data=data)
    except ValidationError as exc:
        return _refused(request, session, who, [str(e["msg"]) for e in exc.errors()])
    except DomainError as exc:
        why = f"Takedown {takedown_id} was not {decision}d: {exc}"
        return takedown_page(request, session, who, status=exc.status, decision_errors=[why])
    audit.action(who.caller, f"takedown-{decision}", takedown_id=takedown_id)
    return RedirectResponse(f"/portal/takedowns#t-{takedown_id}", status_code=303)


@router.post("/{takedown_id}/lift")
def lift(
    request: Request,
    takedown_id: str,
    session: SessionDep,
    who: AdminPage,
    effective_on: Annotated[date | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    checked(who, csrf_token)
    try:
        data = LiftIn.model_validate({"effective_at": _instant(effective_on), "reason": reason})
        takedowns.lift(session=session, caller=who.caller, takedown_id=takedown_id, data=data)
    except ValidationError as exc:
        why = [f"A lift needs a reason ({e['msg']})." for e in exc.errors()]
        return _refused(request, session, who, why)
    except DomainError as exc:
        refused = f"Takedown {takedown_id} was not lifted: {exc}"
        return takedown_page(request, session, who, status=exc.status, decision_errors=[refused])
    audit.action(who.caller, "takedown-lift", takedown_id=takedown_id)
    return RedirectResponse(f"/portal/takedowns#t-{takedown_id}", status_code=303)

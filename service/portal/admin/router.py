"""Admins' pages: closing a month (reconciliation, suspense, confirmation), API keys."""

from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from service.auth import service as keys
from service.auth.dependencies import SettingsDep
from service.auth.schemas import ApiKeyCreate
from service.db import SessionDep
from service.errors import DomainError
from service.pagination import PageParams
from service.parties import service as parties
from service.portal import audit, new_key, sessions
from service.portal.dependencies import AdminPage, checked, render
from service.portal.service import RELEASED_BY
from service.rights import Role
from service.sales.service import list_suspense
from service.statements import closable
from service.statements import service as statements
from service.statements.close.service import close_period, issuer_of
from service.timeutil import utcnow

router = APIRouter(prefix="/portal/admin", include_in_schema=False)
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


def _close_page(
    request: Request, session: SessionDep, who: AdminPage, period: str, **extra: object
) -> Response:
    view = statements.period_view(session=session, period=period, with_reconciliation=True)
    held, _ = list_suspense(session=session, page=PageParams(limit=1000, cursor=None))
    by_reason: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for h in held:
        for amount in h.amounts:
            by_reason[(h.reason, amount.currency)] += amount.amount
    status = int(extra.pop("status", 200))  # type: ignore[call-overload]
    return render(
        request,
        "close.html",
        who,
        status=status,
        view=view,
        period=period,
        suspense=sorted(by_reason.items()),
        released_by=RELEASED_BY,
        **extra,
    )


@router.get("/close", response_class=HTMLResponse)
def close_page(
    request: Request,
    session: SessionDep,
    who: AdminPage,
    period: Annotated[str | None, Query(pattern=PERIOD)] = None,
) -> Response:
    default = period or closable.next_closable(session=session, now=utcnow())
    return _close_page(request, session, who, default)


@router.post("/close", response_class=HTMLResponse)
def close(
    request: Request,
    session: SessionDep,
    who: AdminPage,
    settings: SettingsDep,
    period: Annotated[str, Form(pattern=PERIOD)],
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    checked(who, csrf_token)
    if confirm != period:
        return _close_page(
            request,
            session,
            who,
            period,
            status=422,
            message=f"Type the month ({period}) in the confirmation box to close it.",
        )
    try:
        outcome = close_period(
            session=session, period=period, now=utcnow(), issuer=issuer_of(settings)
        )
    except DomainError as exc:
        return _close_page(request, session, who, period, status=exc.status, message=str(exc))
    audit.action(who.caller, "close", period=period, created=outcome.created)
    done = "closed" if outcome.created else "was already closed"
    return _close_page(request, session, who, period, message=f"{period} {done}.")


def _all_keys(session: SessionDep) -> list[Any]:
    rows, _ = keys.list_api_keys(session=session, page=PageParams(limit=1000, cursor=None))
    return list(rows)


def token_is_of(session: SessionDep, token: str, key_id: str) -> bool:
    caller = keys.authenticate(session=session, token=token, admin_token=None)
    return caller is not None and caller.key_id == key_id


def _keys_page(request: Request, session: SessionDep, who: AdminPage, **extra: object) -> Response:
    rows = _all_keys(session)
    status = int(extra.pop("status", 200))  # type: ignore[call-overload]
    return render(
        request,
        "keys.html",
        who,
        status=status,
        keys=rows,
        roles=[r.value for r in Role],
        **extra,
    )


@router.get("/keys", response_class=HTMLResponse)
def keys_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: AdminPage,
    created: str | None = None,
) -> Response:
    if created is None:
        return _keys_page(request, session, who)
    token = new_key.take(request.cookies.get(new_key.COOKIE), secret=settings.portal_secret)
    made = next((k for k in _all_keys(session) if k.id == created), None)
    if made is None or token is None or not token_is_of(session, token, created):
        # A refresh or a shared link: the token was shown once, it is not kept.
        note = f"Key {created} was created; its token was shown once and is not kept."
        response = _keys_page(request, session, who, message=note)
    else:
        response = _keys_page(request, session, who, created=made, token=token)
    response.delete_cookie(new_key.COOKIE, path=new_key.PATH)
    return response


@router.post("/keys", response_class=HTMLResponse)
def create_key(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: AdminPage,
    role: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Mint a key, then redirect (POST-redirect-GET): a refresh shows the page again and
    mints nothing. The token rides to that one GET in a short-lived signed cookie."""
    checked(who, csrf_token)
    try:
        data = ApiKeyCreate(role=Role(role), subject=subject.strip() or None)
        key, token = parties.issue_api_key(session=session, data=data)
    except (ValueError, ValidationError):
        why = "Choose a role, and the subject it needs (store code, society code or holder id)."
        message = f"No key was created. {why}"
        return _keys_page(request, session, who, status=422, message=message)
    except DomainError as exc:
        return _keys_page(request, session, who, status=exc.status, message=str(exc))
    audit.action(who.caller, "key-create", key_id=key.id, role=key.role, subject=key.subject)
    response = RedirectResponse(f"/portal/admin/keys?created={key.id}", status_code=303)
    response.set_cookie(
        new_key.COOKIE,
        new_key.sealed(token, secret=settings.portal_secret),
        max_age=new_key.SECONDS,
        path=new_key.PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_key(
    request: Request,
    key_id: str,
    session: SessionDep,
    who: AdminPage,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    checked(who, csrf_token)
    try:
        keys.revoke_api_key(session=session, key_id=key_id)
    except DomainError as exc:
        return _keys_page(request, session, who, status=exc.status, message=str(exc))
    sessions.end_sessions_of_key(session=session, key_id=key_id)
    audit.action(who.caller, "key-revoke", key_id=key_id)
    return _keys_page(request, session, who, message=f"Key {key_id} revoked; its sessions ended.")

"""Portal pages: sign-in and out, the overview, statements and their downloads."""

import secrets
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth.dependencies import SettingsDep
from service.db import SessionDep
from service.errors import DomainError
from service.ledger import service as ledger
from service.pagination import PageParams
from service.portal import audit, charts, sessions
from service.portal import service as portal
from service.portal import verify as verifying
from service.portal.dependencies import (
    COOKIE,
    PRE_COOKIE,
    Portal,
    PortalDownloads,
    PortalPost,
    SignInRequired,
    error_page,
    form_refused,
    render,
    signed_in,
)
from service.portal.footing import footing
from service.portal.pages.dependencies import safe_next
from service.rights import RightType
from service.statements import formats, listing
from service.statements import service as statements
from service.statements.dependencies import Conditional
from service.statements.line_pages import PAGE_SIZES, SORTABLE, LineFilter, lines_page
from service.statements.line_pages import territories as line_territories
from service.statements.router import file_statement_response, json_statement_response
from service.timeutil import utcnow
from service.tls import behind_tls
from service.transparency.signing import settings_key

router = APIRouter(prefix="/portal", include_in_schema=False)


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/portal",
        httponly=True,
        samesite="strict",
        # Behind TLS: the request's own scheme (uvicorn --proxy-headers), or the public
        # address being https (a proxy on another host, LEDGER_PUBLIC_URL).
        secure=request.url.scheme == "https" or behind_tls(request.app.state.settings.public_url),
    )


@router.get("", response_class=HTMLResponse)
def sign_in_page(
    request: Request, session: SessionDep, settings: SettingsDep, next: str = ""
) -> Response:
    back_to = safe_next(next)
    try:
        signed_in(request, session, settings)
        return RedirectResponse(back_to or "/portal/overview", status_code=303)
    except SignInRequired:
        pass  # not signed in: show the form
    pre = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", None, pre_token=pre, failed=False, next_path=back_to)
    _cookie(response, request, PRE_COOKIE, pre, 3600)
    return response


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    back_to = safe_next(next)
    pre = request.cookies.get(PRE_COOKIE, "")
    if not pre or not secrets.compare_digest(pre, csrf_token):
        return form_refused(request, "The sign-in form has expired.")
    opened = sessions.open_session(
        session=session,
        token=token.strip(),
        admin_token=settings.admin_token,
        secret=settings.portal_secret,
        now=utcnow(),
        hours=settings.portal_session_hours,
    )
    if opened is None:
        return render(
            request,
            "sign_in.html",
            None,
            status=401,
            pre_token=pre,
            failed=True,
            next_path=back_to,
        )
    audit.action(opened[1], "sign-in")
    response = RedirectResponse(back_to or "/portal/overview", status_code=303)
    _cookie(response, request, COOKIE, opened[0], settings.portal_session_hours * 3600)
    response.delete_cookie(PRE_COOKIE, path="/portal")
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, session: SessionDep, settings: SettingsDep, who: PortalPost
) -> Response:
    sessions.close_session(
        session=session,
        cookie=request.cookies.get(COOKIE),
        secret=settings.portal_secret,
        admin_token=settings.admin_token,
    )
    audit.action(who.caller, "sign-out")
    response = RedirectResponse("/portal", status_code=303)
    response.delete_cookie(COOKIE, path="/portal")
    return response


@router.get("/overview", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, who: Portal) -> Response:
    view = portal.overview(session=session, caller=who.caller)
    month = view.month
    return render(
        request,
        "overview.html",
        who,
        view=view,
        monthly_charts=charts.per_currency("Royalty per month", view.monthly, chart_id="monthly"),
        territory_charts=charts.per_currency(
            f"{month} by territory", view.by_territory, chart_id="territory"
        ),
        right_charts=charts.per_currency(
            f"{month} by right type", view.by_right_type, chart_id="right"
        ),
    )


@router.get("/statements", response_class=HTMLResponse)
def statement_list(
    request: Request,
    session: SessionDep,
    who: Portal,
    period: Annotated[str | None, Query(pattern=r"^(\d{4}-\d{2})?$")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Newest month first, 100 a page: an admin's list is every statement ever closed."""
    listed = listing.newest_first(
        session=session, caller=who.caller, period=period or None, page=page
    )
    return render(
        request,
        "statements.html",
        who,
        statements=listed.statements,
        listed=listed,
        period=period,
        pager=lambda n: urlencode({"period": period or "", "page": n}),
    )


@router.get("/statements/{statement_id}", response_class=HTMLResponse)
def statement_page(
    request: Request,
    statement_id: str,
    session: SessionDep,
    settings: SettingsDep,
    who: Portal,
    isrc: str = "",
    iswc: str = "",
    territory: str = "",
    right_type: Annotated[RightType | Literal[""], Query()] = "",
    adjustment: Literal["", "yes", "no"] = "",
    sort: Annotated[str, Query(pattern="^(" + "|".join(SORTABLE) + ")$")] = "line",
    order: Literal["asc", "desc"] = "asc",
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 100,
    chain: bool = False,
    verify: Literal["", "sample", "all"] = "",
) -> Response:
    try:
        st = statements.get_statement(session=session, caller=who.caller, statement_id=statement_id)
    except DomainError as exc:
        return error_page(request, who, exc)
    flt = LineFilter(
        isrc=isrc or None,
        iswc=iswc or None,
        territory=territory or None,
        right_type=right_type or None,
        adjustment=None if not adjustment else adjustment == "yes",
        sort=sort,
        descending=order == "desc",
        page=page,
        size=size if size in PAGE_SIZES else 100,
    )
    result = lines_page(session=session, caller=who.caller, statement=st, flt=flt)
    view_params = {k: v for k, v in request.query_params.items() if k not in ("verify", "chain")}
    verification = None
    if chain and who.caller.is_admin:
        verification = ledger.verify(session=session)
    key = settings_key(settings)
    return render(
        request,
        "statement.html",
        who,
        st=st,
        flt=flt,
        result=result,
        sortable=list(SORTABLE),
        sizes=PAGE_SIZES,
        right_types=[r.value for r in RightType],
        pinned=portal.pinned_head_holds(session=session, statement=st),
        panel=verifying.panel(
            session=session, statement=st, key=key, base_url=str(request.base_url)
        ),
        checked=verifying.on_page(session=session, statement=st, key=key, asked=verify),
        verification=verification,
        pager=lambda n: urlencode({**view_params, "page": n}),
        footing=footing(st),
        territories=line_territories(session=session, caller=who.caller, statement=st),
        names=portal.names_of(session=session, lines=result.lines),
    )


@router.get("/statements/{statement_id}/download/{kind}")
def download(
    request: Request,
    statement_id: str,
    kind: Literal["csv", "dsr", "json"],
    session: SessionDep,
    who: Portal,
    downloads: PortalDownloads,
) -> Response:
    """The API's own representation, byte for byte (same service, same renderers)."""
    try:
        st = statements.get_statement(session=session, caller=who.caller, statement_id=statement_id)
    except DomainError as exc:
        return error_page(request, who, exc)
    if kind == "json":
        # Every line in one document (the API pages them with a cursor a browser cannot
        # follow): the API's own renderer, asked for as many lines as the statement has.
        every_line = PageParams(limit=max(1, st.line_count), cursor=None)
        response = json_statement_response(session, st, every_line, Conditional(None))
        name = formats.file_name(st, "json")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return file_statement_response(session, st, kind, Conditional(None), downloads)

"""FastAPI side of the portal: the signed-in caller, CSRF checks, templates, errors.

Pages are HTML, so a missing or dead session redirects to the sign-in page rather than
answering 401, and a domain error renders an error page with the same status the API
would answer (404 for another party's statement, never a hint that it exists).
"""

import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from service.auth.caller import Caller
from service.auth.dependencies import SettingsDep
from service.db import SessionDep
from service.downloads import Downloads
from service.errors import DomainError
from service.portal import money, sessions
from service.portal.headers import PortalHeaders
from service.portal.sessions import SignedIn
from service.rights import Role
from service.statements.dependencies import downloads_of
from service.timeutil import utcnow

HERE = Path(__file__).resolve().parent
COOKIE = "rl_portal"
PRE_COOKIE = "rl_portal_signin"  # double-submit token guarding the sign-in form itself
templates = Jinja2Templates(directory=HERE / "templates")


templates.env.filters["money"] = money.money
templates.env.filters["exact"] = money.exact
templates.env.filters["rate"] = money.rate


class SignInRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


class PageForbidden(Exception):
    """A page the signed-in role may not use (the API's 403), rendered as HTML."""


def signed_in(request: Request, session: SessionDep, settings: SettingsDep) -> SignedIn:
    found = sessions.resolve(
        session=session,
        cookie=request.cookies.get(COOKIE),
        secret=settings.portal_secret,
        now=utcnow(),
        admin_token=settings.admin_token,
    )
    if found is None:
        raise SignInRequired
    return found


Portal = Annotated[SignedIn, Depends(signed_in)]


def portal_downloads(request: Request, who: Portal) -> Iterator[Downloads]:
    """The API's download limits and clean-up (``service.downloads``) for a portal page."""
    yield from downloads_of(request, who.caller)


PortalDownloads = Annotated[Downloads, Depends(portal_downloads)]


def checked(who: Portal, csrf_token: Annotated[str, Form()] = "") -> SignedIn:
    """A signed-in form post whose CSRF token is the session's."""
    if not hmac.compare_digest(csrf_token.encode(), who.csrf_token.encode()):
        raise CsrfRefused
    return who


PortalPost = Annotated[SignedIn, Depends(checked)]


def roles(*allowed: Role) -> Any:
    """A dependency admitting ``allowed`` (and always admin), like the API's roles."""

    def dependency(who: Portal) -> SignedIn:
        if who.caller.role not in allowed and not who.caller.is_admin:
            names = ", ".join(sorted(r.value for r in (*allowed, Role.admin)))
            raise PageForbidden(f"This page is for: {names}.")
        return who

    return Depends(dependency)


HolderPage = Annotated[SignedIn, roles(Role.rights_holder)]


def admin_only(who: Portal) -> SignedIn:
    if not who.caller.is_admin:
        raise PageForbidden("This page is for admins.")
    return who


AdminPage = Annotated[SignedIn, Depends(admin_only)]


def render(
    request: Request, name: str, who: SignedIn | None, status: int = 200, **context: Any
) -> HTMLResponse:
    caller: Caller | None = who.caller if who else None
    return templates.TemplateResponse(
        request,
        name,
        {
            "caller": caller,
            "csrf_token": who.csrf_token if who else "",
            "Role": Role,
            **context,
        },
        status_code=status,
    )


def error_page(request: Request, who: SignedIn | None, exc: DomainError) -> HTMLResponse:
    return render(request, "error.html", who, status=exc.status, title=exc.title, detail=str(exc))


def form_refused(request: Request, why: str) -> HTMLResponse:
    """403 for a form whose CSRF token does not match (nothing was done)."""
    detail = f"{why} Reload the page and try again."
    return render(request, "error.html", None, status=403, title="Form refused", detail=detail)


def install(app: FastAPI) -> None:
    """Static files and the redirects/refusals the portal's dependencies raise."""
    app.mount("/portal/static", StaticFiles(directory=HERE / "static"), name="portal-static")
    app.add_middleware(PortalHeaders)

    @app.exception_handler(SignInRequired)
    def _sign_in(request: Request, exc: SignInRequired) -> Response:
        response = RedirectResponse("/portal", status_code=303)
        response.delete_cookie(COOKIE, path="/portal")
        return response

    @app.exception_handler(PageForbidden)
    def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(
            request, "error.html", None, status=403, title="Not for your role", detail=str(exc)
        )

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return form_refused(request, "The form's CSRF token is missing or wrong.")

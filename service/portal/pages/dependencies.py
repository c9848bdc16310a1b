"""FastAPI side of how every portal page answers, whatever the route.

- Errors are pages: an unknown ``/portal`` path, a wrong method or a mistyped query
  (``?period=2006-13``) renders the portal's error page in HTML, with a sentence a reader
  can act on, never the API's problem JSON or the pattern it failed.
- Nothing is cached: every page and download is one party's confidential figures, so
  ``Cache-Control: no-store`` keeps them out of the browser's cache (Back after sign-out
  shows nothing) and out of shared caches.
- A sign-in that interrupted a page returns to it: ``next_path`` is where the reader was,
  accepted only as a path inside the portal (never another site: no open redirect).
"""

import inspect
from collections.abc import Awaitable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.portal.dependencies import COOKIE, SignInRequired, render

PORTAL = "/portal"
STATIC = "/portal/static/"
NO_STORE = "no-store"
# What a field of a portal form or link must look like, in words.
FIELD_HINTS = {
    "period": "a month written YYYY-MM, for example 2006-10",
    "page": "a page number from 1",
    "size": "one of the page sizes offered",
    "sort": "one of the columns offered",
    "order": "ascending or descending",
    "right_type": "one of the right types offered",
    "adjustment": "yes, no or any",
    "verify": "one of the verify buttons",
    "kind": "csv, dsr or json",
}


def is_portal(path: str) -> bool:
    return path == PORTAL or path.startswith(PORTAL + "/")


def safe_next(path: str | None) -> str | None:
    """``path`` if it is a page of this portal (a path, no host, no scheme), else None."""
    if not path or "\\" in path:
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not parts.path.startswith(PORTAL + "/"):
        return None
    if parts.path.startswith(STATIC):
        return None
    return path


def _field_sentences(errors: list[dict[str, Any]]) -> list[str]:
    sentences = []
    for error in errors:
        name = str(error.get("loc", ["", "value"])[-1])
        hint = FIELD_HINTS.get(name, "a value the page offers")
        sentences.append(f"{name.replace('_', ' ')}: expected {hint}.")
    return sentences


def _validation_page(request: Request, exc: RequestValidationError) -> Response:
    detail = " ".join(_field_sentences(list(exc.errors())))
    return render(
        request,
        "error.html",
        None,
        status=422,
        title="That link or form is not valid",
        detail=detail or "Something in the address is not valid.",
    )


def _http_page(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404:
        title, detail = "Page not found", f"There is no portal page at {request.url.path}."
    else:
        title = HTTPStatus(exc.status_code).phrase
        detail = "This page cannot be used that way."
    return render(request, "error.html", None, status=exc.status_code, title=title, detail=detail)


class NoStore:
    """``Cache-Control: no-store`` on every portal response but its static files (plain
    ASGI, so streamed downloads pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not is_portal(path) or path.startswith(STATIC):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, sending)


def _sign_in_first(request: Request, exc: Exception) -> Response:
    """To the sign-in page, remembering the page asked for (a GET only: a form post
    cannot be replayed after signing in)."""
    location = PORTAL
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method == "GET" and safe_next(here) and request.url.path != PORTAL + "/overview":
        location += "?" + urlencode({"next": here})
    response = RedirectResponse(location, status_code=303)
    response.delete_cookie(COOKIE, path=PORTAL)
    return response


async def _answer(answered: Response | Awaitable[Response]) -> Response:
    return await answered if inspect.isawaitable(answered) else answered


def install(app: FastAPI) -> None:
    """Portal paths answer errors in HTML; every other path keeps the API's problems."""
    api_validation = app.exception_handlers[RequestValidationError]
    api_http = app.exception_handlers[StarletteHTTPException]

    async def validation(request: Request, exc: Exception) -> Response:
        if is_portal(request.url.path) and isinstance(exc, RequestValidationError):
            return _validation_page(request, exc)
        return await _answer(api_validation(request, exc))

    async def http(request: Request, exc: Exception) -> Response:
        if is_portal(request.url.path) and isinstance(exc, StarletteHTTPException):
            return _http_page(request, exc)
        return await _answer(api_http(request, exc))

    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_middleware(NoStore)

"""RFC 9457 problem details: the one place that turns failures into responses.

Services raise :class:`service.errors.DomainError` subclasses (each domain keeps its own
in ``exceptions.py``; ``service/errors.py`` imports no web framework); this module only
renders them. Nothing below the routers builds an HTTP response by hand.
"""

import re
from collections.abc import Sequence
from html import escape
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import failover
from service.errors import DomainError, validation_errors
from service.problem_types import ProblemType, problem_types
from service.writable import REFUSED, refuses_writes

PROBLEM_JSON = "application/problem+json"
# A problem's `type` is this path plus its code: a page the app itself serves (`GET
# /problems/{code}`, and `/problems#{code}` on the index), so it resolves against whichever
# host answered, and is the same string on every deployment (RFC 9457 3.1.1: a URI
# reference; clients key on `code`).
TYPE_BASE = "/problems/"


# One bad field of a request.
class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


# RFC 9457 problem details, as every error is reported.
class Problem(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": TYPE_BASE + "invalid",
                    "title": "Invalid request",
                    "status": 422,
                    "detail": "1 field(s) failed validation: body.territory",
                    "code": "invalid",
                    "errors": [
                        {"loc": ["body", "territory"], "msg": "not an ISO 3166-1 alpha-2 country"}
                    ],
                }
            ]
        },
    )
    type: str
    title: str
    status: int
    detail: str
    code: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


# How a route's ``responses`` names problem codes the source does not show
# (service.openapi turns them into the operation's documented problems).
CODES_KEY = "x-problem-codes"


def problem_codes(*codes: str, description: str = "") -> dict[str, Any]:
    """A route's ``responses`` entry: these problem codes, for this status."""
    return {"description": description, CODES_KEY: list(codes)}


def _problem_response(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


# Declared on every domain route; service.openapi adds, per operation, the statuses and
# codes that operation can answer with (what it raises, its inputs, its authentication).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: _problem_response("The database is not reachable (a failover): retry after Retry-After"),
}


def problem(
    status: int,
    *,
    detail: str,
    title: str | None = None,
    code: str | None = None,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (code or str(status)),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = list(errors)
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(
        exc.status,
        detail=exc.detail,
        title=exc.title,
        code=exc.code,
        errors=exc.errors,
        **exc.extensions,
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    json_invalid = any(err["type"] == "json_invalid" for err in errors)
    if json_invalid:
        return problem(400, detail="The body is not valid JSON.", code="malformed", errors=errors)
    fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in errors[:5])
    return problem(
        422,
        detail=f"{len(errors)} field(s) failed validation: {fields}",
        title="Invalid request",
        code="invalid",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem(
        exc.status_code,
        detail=str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase,
        # The framework's 400 is a body it could not decode: the contract's `malformed`.
        code="malformed" if exc.status_code == 400 else http_code(exc.status_code),
        headers=headers or None,
    )


def http_code(status: int) -> str:
    """The ``code`` of a problem the framework raises (an unknown path, a method the path
    does not serve): the status phrase in snake case (``not_found``, ``method_not_allowed``),
    so every problem has a code, as the README promises."""
    return re.sub(r"[^a-z0-9]+", "_", HTTPStatus(status).phrase.lower()).strip("_")


def _allowed_methods(request: Request) -> str:
    # Starlette's 405 names the methods of the first route matching the path only; one
    # path is often served by several routes (GET and POST /v1/api-keys), so the
    # documented operations of every path template matching it are the answer.
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    # The server drops the connection after an unhandled error; saying so lets a
    # keep-alive client open a fresh one instead of failing its next request.
    return problem(
        500,
        detail="An unexpected error occurred; nothing was written.",
        code="internal_error",
        headers={"Connection": "close"},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if refuses_writes(exc):  # a read-only database: not this request's fault, nor a bug
        return problem(503, detail=REFUSED, code="read_only", headers={"Retry-After": "30"})
    if failover.primary_unreachable(exc):  # the primary went away (a failover)
        return problem(
            503,
            detail=failover.UNAVAILABLE_DETAIL,
            title="The database is not reachable; retry shortly",
            code=failover.UNAVAILABLE_CODE,
            headers={"Retry-After": str(failover.RETRY_AFTER_S)},
        )
    return await _unexpected(request, exc)  # any other database error is a bug: 500, logged


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


# --- the problem types' pages: what a problem's `type` resolves to ------------------------

pages = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1>{body}
<p>Every error is an RFC 9457 problem (<code>application/problem+json</code>) with this
<code>type</code>, a <code>code</code> to branch on and, for bad fields, an
<code>errors</code> list; which operation answers with which code:
<a href="/docs">/docs</a>.</p></main></body></html>
"""


def _entry(kind: ProblemType) -> str:
    return (
        f'<section id="{kind.code}"><h2><a href="{TYPE_BASE}{kind.code}">'
        f"<code>{kind.code}</code></a> — {kind.status} {escape(kind.title)}</h2>"
        f"<p>{escape(kind.meaning)}</p></section>"
    )


@pages.get("/problems", response_class=HTMLResponse)
def problem_index() -> HTMLResponse:
    """Every problem type, each at a stable anchor (``/problems#<code>``)."""
    kinds = sorted(problem_types().values(), key=lambda k: (k.status, k.code))
    body = "".join(_entry(kind) for kind in kinds)
    return HTMLResponse(_PAGE.format(title="Problem types", body=body))


@pages.get("/problems/{code}", response_class=HTMLResponse)
def problem_page(code: str) -> HTMLResponse:
    """The page a problem's ``type`` (``/problems/<code>``) resolves to."""
    kind = problem_types().get(code)
    if kind is None:
        raise StarletteHTTPException(404, f"No problem type {code!r}: see /problems.")
    title = f"{kind.code}: {kind.title}"
    return HTMLResponse(_PAGE.format(title=escape(title), body=_entry(kind)))

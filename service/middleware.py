"""ASGI middleware: body size limit and request metrics."""

import json
import re
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.problems import problem

REQUESTS = Counter("ledger_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ledger_http_request_seconds", "HTTP request latency", ["method", "route"])


# NUL can never be stored in PostgreSQL text and has no use in this API; refusing it at the
# door turns what would be a database error into a clear problem, for every endpoint.
_NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


def _has_nul(data: bytes) -> bool:
    return any(marker in data for marker in _NUL_MARKERS)


# A JSON escape of a UTF-16 surrogate that is not half of a pair ("\ud800" alone): JSON
# parsers accept it, but it is no character and cannot be encoded to UTF-8 for the
# database. Preceded by an even number of backslashes, so "\\ud800" (text) is not one.
_LONE_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def _surrogate_location(body: bytes) -> list[str | int] | None:
    """Where the first string holding a lone surrogate is (``["body", ...]``), if any."""
    if _LONE_SURROGATE.search(body) is None:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the endpoint's own parsing refuses it
    return _find_surrogate(data, ["body"])


def _find_surrogate(value: Any, loc: list[str | int]) -> list[str | int] | None:
    items: Iterable[tuple[str | int, Any]]
    if isinstance(value, str):
        return loc if any("\ud800" <= ch <= "\udfff" for ch in value) else None
    if isinstance(value, dict):
        items = ((k, v) for k, v in value.items())
        if any(_find_surrogate(k, loc) for k in value):
            return loc
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _find_surrogate(item, [*loc, key])
        if found is not None:
            return found
    return None


class BodyLimit:
    """Refuse bodies over ``limit`` bytes (413) and NUL characters in the query or body
    (422) with a problem, before anything is parsed."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        if _has_nul(scope.get("query_string", b"")) or _has_nul(scope.get("path", "").encode()):
            await self._refuse_nul(scope, receive, send)
            return
        # Read the body first (it is bounded by the limit), so a refusal is a clean problem
        # response rather than an exception in the middle of the application's parsing.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _has_nul(body):
            await self._refuse_nul(scope, receive, send)
            return
        surrogate = _surrogate_location(body)
        if surrogate is not None:
            await self._refuse_surrogate(scope, receive, send, surrogate)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            detail=f"The body exceeds {self.limit} bytes; split the batch.",
            code="too_large",
        )
        await response(scope, receive, send)

    async def _refuse_nul(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            422,
            detail="Text may not contain NUL characters (U+0000).",
            code="invalid",
            title="Invalid request",
        )
        await response(scope, receive, send)

    async def _refuse_surrogate(
        self, scope: Scope, receive: Receive, send: Send, loc: list[str | int]
    ) -> None:
        field = ".".join(str(part) for part in loc)
        response = problem(
            422,
            detail=f"{field}: text may not contain a lone UTF-16 surrogate (\\ud800-\\udfff).",
            code="invalid",
            title="Invalid request",
            errors=[{"loc": loc, "msg": "lone surrogate"}],
        )
        await response(scope, receive, send)


class Metrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], path, str(status["code"])).inc()
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - start)

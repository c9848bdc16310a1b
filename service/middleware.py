"""ASGI middleware: body size limit, request id, request log and request metrics."""

import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import digits
from service.accept_gate import GATE, GATED, AcceptGate
from service.problems import problem
from service.telemetry.logs import REQUEST_LOGGER
from service.telemetry.metrics import LATENCY, REQUESTS

request_log = logging.getLogger(REQUEST_LOGGER)
REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is echoed into logs and headers: accept only a short, plain token (a UUID,
# a trace id), so nobody can forge log lines or split headers through it.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


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

_ANY_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _surrogate_location(body: bytes) -> list[str | int] | None:
    """Where the first string holding a lone surrogate is (``["body", ...]``), if any."""
    # Most bodies hold no surrogate escape at all: a plain scan rules them out at memchr
    # speed (the look-behinds of the exact pattern cost ~30 µs per KB).
    if not _ANY_SURROGATE_ESCAPE.search(body) or _LONE_SURROGATE.search(body) is None:
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

    def __init__(self, app: ASGIApp, *, limit: int, streamed: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.limit = limit
        # Paths whose endpoint streams its body itself, under limits of its own (DSR files).
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        streamed = scope.get("path") in self.streamed
        declared = dict(scope["headers"]).get(b"content-length")
        too_large = declared is not None and declared.isdigit() and int(declared) > self.limit
        if too_large and not streamed:
            await self._refuse(scope, receive, send)
            return
        if _has_nul(scope.get("query_string", b"")) or _has_nul(scope.get("path", "").encode()):
            await self._refuse_nul(scope, receive, send)
            return
        if streamed:
            await self.app(scope, receive, send)
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
        long_number = digits.too_long(body)
        if long_number is not None:
            await _refuse_long_number(scope, receive, send, *long_number)
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


async def _refuse_long_number(
    scope: Scope, receive: Receive, send: Send, loc: list[str | int], count: int
) -> None:
    field = ".".join(str(part) for part in loc)
    msg = f"a number of {count} digits; at most {digits.MAX_DIGITS} are read"
    response = problem(
        422,
        detail=f"{field}: {msg}.",
        code="invalid",
        title="Invalid request",
        errors=[{"loc": loc, "msg": msg}],
    )
    await response(scope, receive, send)


class RequestLog:
    """Give every request an id (the caller's ``X-Request-ID`` if plain, else a new one),
    echo it in the response, count the request by route template and status, and write one
    JSON log line: id, caller key id (never the token), route, status, duration, and the
    rows recorded/rejected that the sales endpoint reports in ``scope["state"]``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _request_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            duration = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(status["code"])).inc()
            LATENCY.labels(scope["method"], route).observe(duration)
            request_log.info("request", extra=_log_fields(scope, route, status["code"], duration))


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SAFE_REQUEST_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def _log_fields(scope: Scope, route: str, status: int, duration: float) -> dict[str, Any]:
    state = scope.get("state", {})
    fields: dict[str, Any] = {
        "request_id": state.get("request_id"),
        "method": scope["method"],
        "route": route,
        "status": status,
        "duration_ms": round(duration * 1000, 3),
        "caller_key_id": state.get("caller_key_id"),
        "caller_role": state.get("caller_role"),
    }
    sales = state.get("sales_rows")
    if sales is not None:
        fields["rows_recorded"] = sales.get("recorded", 0)
        fields["rows_duplicate"] = sales.get("duplicate", 0)
        fields["rows_rejected"] = sales.get("rejected", 0)
    return fields


class GateWrites:
    """ASGI middleware: counts this worker's gated write batches in ``GATE``."""

    def __init__(self, app: ASGIApp, gate: AcceptGate = GATE) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) not in GATED:
            await self.app(scope, receive, send)
            return
        self.gate.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.leave()

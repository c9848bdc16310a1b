"""Security headers on every portal response (issue #24, break 7).

Pages carry a session cookie and forms that move money and keys, so no other site may
frame them (clickjacking: ``X-Frame-Options`` for old browsers, CSP ``frame-ancestors``
for the rest), their URLs (statement ids) never leak through ``Referer`` to another
origin, and nothing is content-sniffed into script. The pages load only their own
stylesheet and script (no inline code), so the policy can be ``'self'`` throughout.

A plain ASGI middleware (no framework import): it adds the headers to whatever answers
under ``/portal``, pages, redirects, error pages and static files alike.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/portal"
HEADERS = {
    "content-security-policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}
_ENCODED = [(name.encode(), value.encode()) for name, value in HEADERS.items()]


def is_portal(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class PortalHeaders:
    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_portal(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in _ENCODED if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)

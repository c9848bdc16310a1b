"""The ASGI interface's types, for the plain ASGI wrappers that add response headers
(``auth.ratelimit.RateLimitHeaders``, ``tls.StrictTransportSecurity``) without importing
an HTTP framework."""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

"""Per-key rate limits, answered the way draft-ietf-httpapi-ratelimit-headers (-10) says.

One policy, ``LEDGER_RATE_LIMIT`` (the ``limits`` package's notation: ``600/minute``,
``20/second``; unset: no limit, the default, so benches and tests that do not ask for it
are never throttled), applies to each key on its own: the bootstrap admin token is one
key too. Counted with the ``limits`` package's moving window in this process's memory:
with ``LEDGER_WORKERS`` processes a key may make up to that many times the limit
(docs/api-keys.md).

Every answer to an authenticated request carries (draft §3, §4; Structured Field Lists
of RFC 9651, the policy named by a String):

    RateLimit-Policy: "per-key";q=600;w=60
    RateLimit: "per-key";r=599;t=60

``q`` is the quota and ``w`` its window in seconds; ``r`` is what remains and ``t`` the
seconds until more quota is made available (for a moving window: until the oldest
counted request leaves it). Over the limit the answer is 429 with ``Retry-After`` (RFC
9110 §10.2.3) in seconds and the same fields. No HTTP framework here: the headers are
added by :class:`RateLimitHeaders`, a plain ASGI wrapper, from what the request's
dependency (``dependencies.current_caller``) left in the request's state.
"""

import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service.asgi import ASGIApp, Message, Receive, Scope, Send
from service.auth.exceptions import RateLimited

POLICY = "per-key"
STATE_KEY = "rate_limit_headers"  # where a request's headers wait for the response


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    quota: int
    window_s: int
    remaining: int
    reset_s: int  # seconds until more quota is available

    def headers(self) -> list[tuple[str, str]]:
        fields = [
            ("RateLimit-Policy", f'"{POLICY}";q={self.quota};w={self.window_s}'),
            ("RateLimit", f'"{POLICY}";r={self.remaining};t={self.reset_s}'),
        ]
        if not self.allowed:
            fields.append(("Retry-After", str(max(self.reset_s, 1))))
        return fields


class KeyRateLimiter:
    """Counts each key's requests against one policy (``limit``, e.g. ``600/minute``)."""

    def __init__(self, limit: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key: str) -> Verdict:
        allowed = self._limiter.hit(self.item, key)
        stats = self._limiter.get_window_stats(self.item, key)
        return Verdict(
            allowed=allowed,
            quota=self.item.amount,
            window_s=self.item.get_expiry(),
            remaining=max(stats.remaining, 0),
            reset_s=max(math.ceil(stats.reset_time - time.time()), 0),
        )


def limiter_for(limit: str | None) -> KeyRateLimiter | None:
    """The limiter a setting asks for; None when unset or empty (no limit)."""
    return KeyRateLimiter(limit) if limit and limit.strip() else None


def enforce(limiter: KeyRateLimiter, *, key: str, state: Any) -> None:
    """Count one request of ``key``; leave the headers in ``state`` (the request's state);
    raise :class:`RateLimited` (429) when the key is over its limit."""
    verdict = limiter.hit(key)
    setattr(state, STATE_KEY, verdict.headers())
    if not verdict.allowed:
        raise RateLimited(
            f"This key may make {verdict.quota} requests in {verdict.window_s} s; "
            f"retry in {max(verdict.reset_s, 1)} s.",
            retry_after_s=max(verdict.reset_s, 1),
        )


class RateLimitHeaders:
    """ASGI wrapper adding the headers a request's limiter left in its state (the
    request's ``scope["state"]``) to its response, whatever produced the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                fields = scope.get("state", {}).get(STATE_KEY)
                if fields:
                    headers = list(message.get("headers", []))
                    headers += [(n.lower().encode(), v.encode()) for n, v in fields]
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

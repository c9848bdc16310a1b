"""When the client sends a request again, and after how long (both clients share it)."""

import httpx

RETRY_STATUSES = frozenset({429, 502, 503, 504})
REFUSED_RETRY_DELAY = 0.5  # seconds before the one retry of a refused connection


class Retry:
    """When to send a request again, and after how long.

    429 and 502-504 are transient: back off exponentially (or as long as Retry-After says)
    up to ``retries`` times; so are timeouts and dropped connections. A refused connection
    means nobody listens there: one quick retry covers a server that is restarting, then
    the caller hears about it at once instead of after a minute of backoff.
    """

    def __init__(self, retries: int, backoff: float) -> None:
        self.retries = retries
        self.backoff = backoff
        self.attempt = 0
        self.refused = 0

    def after_answer(self, response: httpx.Response) -> float | None:
        """Seconds to wait before sending again, or None to return this answer."""
        attempt = self._next()
        if response.status_code not in RETRY_STATUSES or attempt >= self.retries:
            return None
        retry_after = response.headers.get("Retry-After", "")
        return float(retry_after) if retry_after.isdigit() else self._backoff(attempt)

    def after_error(self, error: httpx.TransportError) -> float | None:
        """Seconds to wait before sending again, or None to raise ``error``."""
        attempt = self._next()
        if attempt >= self.retries:
            return None
        if isinstance(error, httpx.ConnectError):
            self.refused += 1
            return min(self.backoff, REFUSED_RETRY_DELAY) if self.refused <= 1 else None
        return self._backoff(attempt)

    def _next(self) -> int:
        self.attempt += 1
        return self.attempt - 1

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff * (2**attempt))

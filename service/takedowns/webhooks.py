"""Tell stores about approved and lifted takedowns through their ``webhook_url``.

Notices are queued on the session and handed to a small thread pool only once the
transaction has committed: a store is never told about a change that was rolled back,
and the request never waits for a store's server. Each delivery is retried a few times
with exponential backoff; a store that stays down still finds the takedown through
``GET /v1/takedowns?status=approved``, which remains the source of truth.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF_S = 0.5  # then 1 s, 2 s
TIMEOUT_S = 5.0
_QUEUE = "takedown_notices"

# Tests swap these for an httpx.MockTransport and a sleep that records instead of waiting.
transport: httpx.BaseTransport | None = None
sleep: Callable[[float], None] = time.sleep

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="takedown-webhook")
_in_flight: set[Future[bool]] = set()
_lock = threading.Lock()


def notify_after_commit(
    session: Session, *, urls: list[str], notice: dict[str, Any], key: str
) -> None:
    """POST ``notice`` to every URL once ``session`` commits; nothing if it rolls back.

    ``key`` (sent as ``Idempotency-Key``) lets a store drop the duplicates that retries
    can cause.
    """
    session.info.setdefault(_QUEUE, []).extend((url, notice, key) for url in urls)


@event.listens_for(Session, "after_commit")
def _send_committed(session: Session) -> None:
    for url, notice, key in session.info.pop(_QUEUE, []):
        future = _executor.submit(deliver, url, notice, key)
        with _lock:
            _in_flight.add(future)
        future.add_done_callback(_forget)


@event.listens_for(Session, "after_transaction_end")
def _drop_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    # after_commit has already taken what was committed; what is left was rolled back.
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)


def _forget(future: Future[bool]) -> None:
    with _lock:
        _in_flight.discard(future)


def deliver(url: str, notice: dict[str, Any], key: str) -> bool:
    """POST one notice, retrying transport errors, 429 and 5xx; True once a 2xx came back."""
    if not _usable(url):  # a bad webhook_url will not get better by retrying
        log.error("takedown webhook %r is not an http(s) URL; not sent (%s)", url, key)
        return False
    headers = {"Idempotency-Key": key, "X-Ledger-Event": str(notice.get("event", ""))}
    with httpx.Client(transport=transport, timeout=TIMEOUT_S) as client:
        for attempt in range(ATTEMPTS):
            if attempt:
                sleep(BACKOFF_S * 2 ** (attempt - 1))
            try:
                response = client.post(url, json=notice, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("takedown webhook %s attempt %d failed: %s", url, attempt + 1, exc)
                continue
            if response.is_success:
                return True
            if response.status_code != 429 and response.status_code < 500:
                log.warning("takedown webhook %s refused: %d", url, response.status_code)
                return False
            status = response.status_code
            log.warning("takedown webhook %s attempt %d: %d", url, attempt + 1, status)
    log.error("takedown webhook %s: gave up after %d attempts (%s)", url, ATTEMPTS, key)
    return False


def _usable(url: str) -> bool:
    try:
        return httpx.URL(url).scheme in ("http", "https")
    except httpx.InvalidURL:
        return False


def wait_idle(timeout: float | None = None) -> None:
    """Block until every queued delivery has finished (tests, orderly shutdown)."""
    with _lock:
        pending = set(_in_flight)
    wait(pending, timeout=timeout)

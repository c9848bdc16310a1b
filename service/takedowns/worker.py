"""Deliver the queued takedown webhooks (``webhook_outbox``), signed per Standard Webhooks.

Runs inside the API process (started by the app's lifespan) and/or on its own:
``royalty-ledger webhooks-worker`` (or ``python -m service.takedowns.worker``). Any
number of workers may run at once: a worker *claims* one due row in a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time) by pushing
its ``next_attempt_at`` one lease ahead, then posts without holding a transaction or a
lock, then records the outcome. A worker that dies mid-delivery (SIGKILL, a crash, a
restart) leaves the row due again when the lease runs out: the webhook is sent again
with the same ``webhook-id`` and bytes, never lost.
Failures (transport errors, non-2xx) are retried with exponential backoff
(``BACKOFF_S · 2^(attempt-1)``, capped at ``MAX_BACKOFF_S``) until ``MAX_ATTEMPTS``; a URL
that can never be used (``takedowns.delivery``: its syntax, a private address) fails the
webhook at once. An attempt has a total deadline far shorter than the lease
(``delivery.ATTEMPT_S``), so a live worker's claim does not run out while it sends; and an
outcome is recorded only by the claim it belongs to (``attempts`` unchanged since). Should
a worker stall past its lease anyway (a paused process), the webhook may be sent twice:
deliveries are at least once, and a receiver drops a duplicate by its ``webhook-id``
(Standard Webhooks), which every attempt of one webhook shares.
"""

import argparse
import logging
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

import httpx
from sqlalchemy import Connection, Engine, update
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook

from service.parties.models import Store
from service.sql import is_postgresql
from service.takedowns import delivery
from service.takedowns.models import WebhookOutbox
from service.telemetry.metrics import WEBHOOKS
from service.timeutil import utcnow

log = logging.getLogger(__name__)
# An engine in production; tests pass their connection, whose transaction they roll back.
Bind = Engine | Connection

MAX_ATTEMPTS = 12  # about 1.5 days of retries with the defaults below
BACKOFF_S = 5.0
MAX_BACKOFF_S = 6 * 3600.0
# Far longer than an attempt's total deadline (delivery.ATTEMPT_S), so a live worker's
# claim never runs out while it still sends.
LEASE_S = 60.0
assert LEASE_S > 2 * delivery.ATTEMPT_S


@dataclass(frozen=True, slots=True)
class Claim:
    row_id: int
    message_id: str
    body: str
    attempt: int
    url: str | None
    secret: str | None


def _session(bind: Bind) -> Session:
    return Session(bind=bind, join_transaction_mode="create_savepoint")


def backoff(attempt: int) -> timedelta:
    """The wait after the ``attempt``-th failure (1-based)."""
    return timedelta(seconds=min(BACKOFF_S * 2 ** (attempt - 1), MAX_BACKOFF_S))


def claim(engine: Bind, *, now: datetime, lease_s: float = LEASE_S) -> Claim | None:
    """Take the oldest due webhook for one lease; None when nothing is due."""
    with _session(engine) as session, session.begin():
        query = (
            select(WebhookOutbox)
            .where(
                col(WebhookOutbox.delivered_at).is_(None),
                col(WebhookOutbox.failed_at).is_(None),
                col(WebhookOutbox.next_attempt_at) <= now,
            )
            .order_by(col(WebhookOutbox.next_attempt_at), col(WebhookOutbox.id))
            .limit(1)
        )
        if is_postgresql(session):
            query = query.with_for_update(skip_locked=True)
        row = session.exec(query).first()
        if row is None or row.id is None:
            return None
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=lease_s)
        session.add(row)
        store = session.get(Store, row.store_code)
        return Claim(
            row_id=row.id,
            message_id=row.message_id,
            body=row.body,
            attempt=row.attempts,
            url=store.webhook_url if store else None,
            secret=store.webhook_secret if store else None,
        )


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


def send(
    claimed: Claim,
    *,
    now: datetime,
    stop: threading.Event,
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> delivery.Outcome:
    """POST one claimed webhook (``takedowns.delivery``): delivered, or why not."""
    if not claimed.url:
        return delivery.Outcome("the store has no webhook_url any more", permanent=True)
    if not claimed.secret:
        return delivery.Outcome(
            "the store has no webhook secret: rotate it (POST /v1/stores/{code}/webhook-secret)"
        )
    headers = signed_headers(claimed.secret, claimed.message_id, claimed.body, now)
    return delivery.post(
        claimed.url,
        claimed.body,
        headers,
        stop=stop,
        allow_private=allow_private,
        transport=transport,
    )


def record(engine: Bind, claimed: Claim, *, outcome: delivery.Outcome, now: datetime) -> None:
    """Store the outcome of an attempt: delivered, due again after a backoff, given up, or
    (stopped mid-way) due again at once and not counted. Only while the claim is still
    this one (``attempts`` unchanged): a later claim's outcome is never overwritten."""
    error = outcome.error
    values: dict[str, object] = {"last_error": error}
    if error is None:
        values["delivered_at"] = now
    elif outcome.stopped:
        values = {"next_attempt_at": now, "attempts": claimed.attempt - 1}
    elif outcome.permanent or claimed.attempt >= MAX_ATTEMPTS:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + backoff(claimed.attempt)
    with _session(engine) as session, session.begin():
        session.execute(
            update(WebhookOutbox)
            .where(
                col(WebhookOutbox.id) == claimed.row_id,
                col(WebhookOutbox.attempts) == claimed.attempt,
            )
            .values(**values)
        )
    if outcome.stopped:
        return
    outcome_name = "delivered" if error is None else "failed" if "failed_at" in values else "retry"
    WEBHOOKS.labels(outcome_name).inc()
    log_at = logging.INFO if error is None else logging.WARNING
    log.log(
        log_at,
        "webhook %s",
        outcome_name,
        extra={"webhook_id": claimed.message_id, "attempt": claimed.attempt, "error": error},
    )


def deliver_due(
    engine: Bind,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    lease_s: float = LEASE_S,
    stop: threading.Event | None = None,
    allow_private: bool = False,
) -> int:
    """Deliver every webhook due now, until ``stop`` is set; the number of attempts made."""
    stop = stop or threading.Event()
    attempts = 0
    while not stop.is_set():
        claimed = claim(engine, now=utcnow(), lease_s=lease_s)
        if claimed is None:
            break
        outcome = send(
            claimed, now=utcnow(), stop=stop, allow_private=allow_private, transport=transport
        )
        record(engine, claimed, outcome=outcome, now=utcnow())
        attempts += 0 if outcome.stopped else 1
    return attempts


def run(
    engine: Engine,
    stop: threading.Event,
    *,
    poll_s: float = 1.0,
    lease_s: float = LEASE_S,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_private: bool = False,
) -> None:
    """Poll and deliver until ``stop`` is set (an attempt under way is cancelled); a
    database outage is logged and waited out."""
    while not stop.is_set():
        try:
            deliver_due(
                engine,
                transport=transport,
                lease_s=lease_s,
                stop=stop,
                allow_private=allow_private,
            )
        except Exception:  # keep the worker alive through a database outage
            log.exception("webhook worker: delivery round failed; retrying")
        stop.wait(poll_s)


def start_in_background(
    engine: Engine, *, poll_s: float = 1.0, allow_private: bool = False
) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker the app's lifespan starts (a daemon thread)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(engine, stop),
        kwargs={"poll_s": poll_s, "allow_private": allow_private},
        name="webhooks-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop


def main(argv: list[str] | None = None) -> int:
    from service.config import get_settings
    from service.engines import make_engine
    from service.telemetry.logs import configure_logging

    parser = argparse.ArgumentParser(
        prog="python -m service.takedowns.worker",
        description="Deliver queued takedown webhooks until interrupted (SIGINT/SIGTERM).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--database-url", default=None, help="default: LEDGER_DATABASE_URL or the SQLite file"
    )
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
    parser.add_argument(
        "--lease", type=float, default=LEASE_S, help="seconds a claimed webhook is reserved"
    )
    args = parser.parse_args(argv)
    configure_logging()
    serve(make_engine(args.database_url or get_settings().database_url), args.poll, args.lease)
    return 0


def serve(engine: Engine, poll_s: float, lease_s: float) -> None:
    """Deliver until SIGTERM or SIGINT (this process's own worker loop)."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("webhook worker started", extra={"poll_s": poll_s, "lease_s": lease_s})
    allow_private = _allow_private()
    run(engine, stop, poll_s=poll_s, lease_s=lease_s, allow_private=allow_private)


def _allow_private() -> bool:
    from service.config import get_settings

    return get_settings().webhook_allow_private


if __name__ == "__main__":
    raise SystemExit(main())

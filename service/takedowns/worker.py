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
(``BACKOFF_S · 2^(attempt-1)``, capped at ``MAX_BACKOFF_S``) until ``MAX_ATTEMPTS``.
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
from service.takedowns.models import WebhookOutbox
from service.telemetry.metrics import WEBHOOKS
from service.timeutil import utcnow

log = logging.getLogger(__name__)
# An engine in production; tests pass their connection, whose transaction they roll back.
Bind = Engine | Connection

MAX_ATTEMPTS = 12  # about 1.5 days of retries with the defaults below
BACKOFF_S = 5.0
MAX_BACKOFF_S = 6 * 3600.0
TIMEOUT_S = 10.0
# Longer than TIMEOUT_S, so a live worker's claim never runs out while it still waits.
LEASE_S = 60.0


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


def send(claimed: Claim, *, client: httpx.Client, now: datetime) -> str | None:
    """POST one claimed webhook; None on a 2xx, else why it failed (one line)."""
    if not claimed.url:
        return "the store has no webhook_url any more"
    if not claimed.secret:
        return "the store has no webhook secret: rotate it (POST /v1/stores/{code}/webhook-secret)"
    headers = signed_headers(claimed.secret, claimed.message_id, claimed.body, now)
    try:
        response = client.post(claimed.url, content=claimed.body, headers=headers)
    except (httpx.HTTPError, ValueError) as exc:  # ValueError: a URL httpx cannot use
        return f"{type(exc).__name__}: {exc}"[:500]
    if response.is_success:
        return None
    return f"HTTP {response.status_code}"


def record(engine: Bind, claimed: Claim, *, error: str | None, now: datetime) -> None:
    """Store the outcome of an attempt: delivered, due again after a backoff, or given up."""
    values: dict[str, object] = {"last_error": error}
    if error is None:
        values["delivered_at"] = now
    elif claimed.attempt >= MAX_ATTEMPTS:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + backoff(claimed.attempt)
    with _session(engine) as session, session.begin():
        session.execute(
            update(WebhookOutbox).where(col(WebhookOutbox.id) == claimed.row_id).values(**values)
        )
    outcome = "delivered" if error is None else "failed" if "failed_at" in values else "retry"
    WEBHOOKS.labels(outcome).inc()
    log_at = logging.INFO if error is None else logging.WARNING
    log.log(
        log_at,
        "webhook %s",
        outcome,
        extra={"webhook_id": claimed.message_id, "attempt": claimed.attempt, "error": error},
    )


def deliver_due(
    engine: Bind, *, transport: httpx.BaseTransport | None = None, lease_s: float = LEASE_S
) -> int:
    """Deliver every webhook due now; the number of attempts made."""
    attempts = 0
    claimed = claim(engine, now=utcnow(), lease_s=lease_s)
    if claimed is None:
        # The usual poll: nothing due. No client is made (building one builds a TLS
        # context, ~40 ms of CPU a second in every worker process of the service).
        return 0
    with httpx.Client(transport=transport, timeout=TIMEOUT_S) as client:
        while claimed is not None:
            error = send(claimed, client=client, now=utcnow())
            record(engine, claimed, error=error, now=utcnow())
            attempts += 1
            claimed = claim(engine, now=utcnow(), lease_s=lease_s)
    return attempts


def run(
    engine: Engine,
    stop: threading.Event,
    *,
    poll_s: float = 1.0,
    lease_s: float = LEASE_S,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """Poll and deliver until ``stop`` is set; a database outage is logged and waited out."""
    while not stop.is_set():
        try:
            deliver_due(engine, transport=transport, lease_s=lease_s)
        except Exception:  # keep the worker alive through a database outage
            log.exception("webhook worker: delivery round failed; retrying")
        stop.wait(poll_s)


def start_in_background(
    engine: Engine, *, poll_s: float = 1.0
) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker the app's lifespan starts (a daemon thread)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(engine, stop),
        kwargs={"poll_s": poll_s},
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
    run(engine, stop, poll_s=poll_s, lease_s=lease_s)


if __name__ == "__main__":
    raise SystemExit(main())

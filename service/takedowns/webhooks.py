"""Tell stores about approved and lifted takedowns: the outbox side.

A decision writes one ``webhook_outbox`` row per store with a ``webhook_url`` in the
decision's own transaction, so a webhook exists exactly when the decision does (a
rollback takes both away) and survives any restart. ``service.takedowns.worker``
delivers them, signed per Standard Webhooks, with retries and exponential backoff.

Why an outbox of our own rather than procrastinate or pgqueuer: both need PostgreSQL
(LISTEN/NOTIFY, their own schema) while the embedded SQLite default must deliver too, and
the job is one table and one polling loop (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, SQLite's single writer elsewhere) that keeps the row in the decision's
transaction — which a separate queue library would not do for free.
"""

import secrets

from sqlmodel import Session, col, select

from service.parties.models import Store
from service.takedowns.models import WebhookOutbox
from service.takedowns.schemas import TakedownWebhook


def new_message_id() -> str:
    return f"msg_{secrets.token_hex(16)}"


def enqueue(session: Session, *, notice: TakedownWebhook) -> int:
    """Queue ``notice`` for every store with a webhook URL, in the session's transaction;
    the number of webhooks queued."""
    stores = session.exec(
        select(Store.code).where(col(Store.webhook_url).is_not(None), col(Store.webhook_url) != "")
    ).all()
    body = notice.model_dump_json()
    session.add_all(
        WebhookOutbox(message_id=new_message_id(), store_code=code, event=notice.type, body=body)
        for code in stores
    )
    session.flush()
    return len(stores)

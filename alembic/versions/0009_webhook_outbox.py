"""webhook outbox: durable, signed takedown webhooks; per-store signing secret

Revision ID: 0009
Revises: 0008

``webhook_outbox`` holds one row per (decision or lift, store), written in the decision's
transaction and delivered by ``service.takedowns.worker``. ``store.webhook_secret`` is the
Standard Webhooks signing secret; stores that existed before this revision have none
until an admin rotates it (``POST /v1/stores/{code}/webhook-secret``), and their webhooks
wait in the outbox (retried with backoff) meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.timeutil

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("webhook_secret", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("store_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.Column("failed_at", service.timeutil.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_code"], ["store.code"], name=op.f("fk_webhook_outbox_store_code_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_webhook_outbox_message_id")),
    )
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_outbox_store_code"), ["store_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_outbox_store_code"))
        batch_op.drop_index(batch_op.f("ix_webhook_outbox_next_attempt_at"))
    op.drop_table("webhook_outbox")
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret")

"""dsr_message: the DSR files stores posted, by (store, sender, MessageId, file)

Revision ID: 0014
Revises: 0013k

A re-post of the same file (same SHA-256) resumes its booking; another file under the
same MessageId is refused (service/sales/dsr_intake/service.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.timeutil

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013k"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dsr_message",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("store_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("file_number", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("received_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_code"], ["store.code"], name=op.f("fk_dsr_message_store_code_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_message")),
        sa.UniqueConstraint(
            "store_code",
            "sender",
            "message_id",
            "file_number",
            name=op.f("uq_dsr_message_store_code_sender_message_id_file_number"),
        ),
    )


def downgrade() -> None:
    op.drop_table("dsr_message")

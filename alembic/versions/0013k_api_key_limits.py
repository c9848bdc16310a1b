"""api keys: expiry, scopes, last use

Revision ID: 0013k
Revises: 0012

Three nullable columns, so every existing key keeps working as before: no expiry, the
whole of its role, never seen used.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.timeutil

revision: str = "0013k"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("expires_at", service.timeutil.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch.add_column(sa.Column("last_used_at", service.timeutil.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("scopes")
        batch.drop_column("expires_at")

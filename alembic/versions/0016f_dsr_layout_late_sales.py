"""statement.dsr_layout and statement_usage.late: DSR files that report nothing and late sales

Revision ID: 0016f
Revises: 0016s

A statement's DSR file is immutable (its SHA-256 is its ETag and the operator signs it),
so a change of layout applies only to months closed after it: each close now records the
layout it used. Statements closed before keep NULL, read as layout 1, and render exactly
as they always did. ``statement_usage.late`` marks a usage row dated in an earlier,
closed month (false for every row written before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016f"
down_revision: str | Sequence[str] | None = "0016s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("statement", sa.Column("dsr_layout", sa.Integer(), nullable=True))
    op.add_column(
        "statement_usage",
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("statement_usage", "late")
    op.drop_column("statement", "dsr_layout")

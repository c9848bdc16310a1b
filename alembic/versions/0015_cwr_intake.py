"""cwr intake: work titles and society affiliations

Revision ID: 0015
Revises: 0014

What CWR registrations carry beyond works and shares: a work's other titles (ALT records,
with their CWR title type) and a holder's society per right type (the CISAC society
number of SPU/SWR records).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "society_affiliation",
        sa.Column("holder_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("right_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("society_number", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["rights_holder.id"],
            name=op.f("fk_society_affiliation_holder_id_rights_holder"),
        ),
        sa.PrimaryKeyConstraint("holder_id", "right_type", name=op.f("pk_society_affiliation")),
    )
    op.create_table(
        "work_title",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iswc", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("title_type", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.ForeignKeyConstraint(["iswc"], ["work.iswc"], name=op.f("fk_work_title_iswc_work")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_title")),
        sa.UniqueConstraint(
            "iswc", "title", "title_type", name=op.f("uq_work_title_iswc_title_title_type")
        ),
    )
    with op.batch_alter_table("work_title", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_title_iswc"), ["iswc"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_title", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_title_iswc"))

    op.drop_table("work_title")
    op.drop_table("society_affiliation")

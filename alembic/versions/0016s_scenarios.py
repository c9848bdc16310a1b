"""scenarios: stores' licences and re-priced months

Revision ID: 0016s
Revises: 0016w

A store's licence (territory and society) and the scenarios that re-price a month under
another jurisdiction rule or tariff: their rules, their rows (books beside scenario) and
the sales they leave unlicensed or held. Nothing here is ledger money.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.money
import service.timeutil

revision: str = "0016s"
down_revision: str | Sequence[str] | None = "0016w"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.add_column(sa.Column("licence_territory", _STR(length=2), nullable=True))
        batch_op.add_column(sa.Column("licence_society", _STR(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_store_licence_society_society"), "society", ["licence_society"], ["code"]
        )
    op.create_table(
        "scenario",
        sa.Column("id", _STR(length=32), nullable=False),
        sa.Column("created_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("period_from", _STR(length=7), nullable=False),
        sa.Column("period_to", _STR(length=7), nullable=False),
        sa.Column("store_code", _STR(length=64), nullable=True),
        sa.Column("territory_rule", _STR(length=16), nullable=False),
        sa.Column("catalogue_date", sa.Date(), nullable=True),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("ledger_sequence", sa.BigInteger(), nullable=False),
        sa.Column("differs_from_books", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario")),
    )
    op.create_table(
        "scenario_row",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("scenario_id", _STR(length=32), nullable=False),
        sa.Column("party", _STR(length=80), nullable=False),
        sa.Column("holder_id", _STR(length=32), nullable=True),
        sa.Column("currency", _STR(length=3), nullable=False),
        sa.Column("territory", _STR(length=2), nullable=False),
        sa.Column("right_type", _STR(length=16), nullable=True),
        sa.Column("books", service.money.Money(), nullable=False),
        sa.Column("scenario", service.money.Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"], ["scenario.id"], name=op.f("fk_scenario_row_scenario_id_scenario")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_row")),
    )
    with op.batch_alter_table("scenario_row", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenario_row_scenario_id"), ["scenario_id"])
    op.create_table(
        "scenario_exception",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("scenario_id", _STR(length=32), nullable=False),
        sa.Column("reason", _STR(length=32), nullable=False),
        sa.Column("territory", _STR(length=2), nullable=False),
        sa.Column("priced_in", _STR(length=2), nullable=True),
        sa.Column("currency", _STR(length=3), nullable=False),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("amount", service.money.Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenario.id"],
            name=op.f("fk_scenario_exception_scenario_id_scenario"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_exception")),
    )
    with op.batch_alter_table("scenario_exception", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scenario_exception_scenario_id"), ["scenario_id"])


def downgrade() -> None:
    op.drop_table("scenario_exception")
    op.drop_table("scenario_row")
    op.drop_table("scenario")
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_store_licence_society_society"), type_="foreignkey")
        batch_op.drop_column("licence_society")
        batch_op.drop_column("licence_territory")

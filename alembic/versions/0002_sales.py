"""sales: sales, refunds (and ledger_leg ids numbered on SQLite)

Revision ID: 0002
Revises: 0001

Also fixes ledger_leg on SQLite: its BIGINT primary key is not a rowid alias there, so
inserts without an id failed; the table is rebuilt with INTEGER PRIMARY KEY (PostgreSQL
keeps BIGSERIAL) and its append-only triggers are put back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.money
import service.timeutil

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _sqlite_leg_id(id_type: sa.types.TypeEngine) -> None:  # type: ignore[type-arg]
    if op.get_bind().dialect.name != "sqlite":
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS ledger_leg_no_{action}")
    with op.batch_alter_table("ledger_leg", recreate="always") as batch_op:
        batch_op.alter_column("id", type_=id_type, existing_nullable=False)
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER ledger_leg_no_{action.lower()} BEFORE {action} ON ledger_leg "
            f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {action} on ledger_leg "
            "refused'); END"
        )


def upgrade() -> None:
    _sqlite_leg_id(sa.Integer())
    op.create_table(
        "sale",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("store_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sale_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("isrc", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("territory", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("sold_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", service.money.Money(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("iswc", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("recorded_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_code"], ["store.code"], name=op.f("fk_sale_store_code_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale")),
        sa.UniqueConstraint("store_code", "sale_id", name=op.f("uq_sale_store_code_sale_id")),
    )
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_isrc"), ["isrc"], unique=False)
        batch_op.create_index(batch_op.f("ix_sale_period"), ["period"], unique=False)

    op.create_table(
        "refund",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("store_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("refund_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("sale_pk", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("refunded_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.Column("recorded_at", service.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sale_pk"], ["sale.id"], name=op.f("fk_refund_sale_pk_sale")),
        sa.ForeignKeyConstraint(
            ["store_code"], ["store.code"], name=op.f("fk_refund_store_code_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund")),
        sa.UniqueConstraint("store_code", "refund_id", name=op.f("uq_refund_store_code_refund_id")),
    )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refund_sale_pk"), ["sale_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_sale_pk"))
    op.drop_table("refund")
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_period"))
        batch_op.drop_index(batch_op.f("ix_sale_isrc"))
    op.drop_table("sale")
    _sqlite_leg_id(sa.BigInteger())

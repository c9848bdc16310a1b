"""transparency log: per-leg salts, the Merkle tree's tiles, signed tree heads

Revision ID: 0010
Revises: 0009

``ledger_leg.salt`` (16 random bytes, null on legs booked before this revision) hides each
leg inside its transaction's leaf. ``merkle_tile`` stores the tree (tiles of 256 hashes per
8 levels); it starts empty and the first append after the upgrade catches up on the
existing ledger. ``signed_tree_head`` is insert-only, like the ledger.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    # A plain ADD COLUMN (not batch mode): rebuilding ledger_leg on SQLite would drop its
    # append-only triggers.
    op.add_column("ledger_leg", sa.Column("salt", sa.LargeBinary(length=16), nullable=True))
    op.create_table(
        "merkle_tile",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_merkle_tile")),
    )
    op.create_table(
        "signed_tree_head",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("root_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=88), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_tree_head")),
        sa.UniqueConstraint("period", name=op.f("uq_signed_tree_head_period")),
    )
    op.create_index(
        op.f("ix_signed_tree_head_tree_size"), "signed_tree_head", ["tree_size"], unique=False
    )
    if _postgres():
        # ledger_append_only() exists since 0001.
        op.execute(
            "CREATE TRIGGER signed_tree_head_append_only BEFORE UPDATE OR DELETE "
            "ON signed_tree_head FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER signed_tree_head_no_{action.lower()} BEFORE {action} "
                "ON signed_tree_head BEGIN SELECT RAISE(ABORT, "
                f"'signed tree heads are append-only: {action} refused'); END"
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_signed_tree_head_tree_size"), table_name="signed_tree_head")
    op.drop_table("signed_tree_head")  # its triggers go with it
    op.drop_table("merkle_tile")
    if _postgres():
        op.drop_column("ledger_leg", "salt")
    else:
        op.execute("ALTER TABLE ledger_leg DROP COLUMN salt")  # keeps the table's triggers

"""witnessed checkpoints: the witnesses' cosignatures

Revision ID: 0016w
Revises: 0015

The witnesses an admin registered, and each witness's cosignature/v1 line over the C2SP checkpoint of a stored tree
head, kept as the witness answered it (docs/transparency.md, "Witnesses"); insert-only,
like the heads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016w"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "transparency_witness",
        sa.Column("vkey", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vkey", name=op.f("pk_transparency_witness")),
    )
    op.create_table(
        "checkpoint_cosignature",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("witness_vkey", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("cosigned_at", sa.BigInteger(), nullable=False),
        sa.Column("line", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint_cosignature")),
        sa.UniqueConstraint(
            "tree_size",
            "root_hash",
            "witness_vkey",
            name=op.f("uq_checkpoint_cosignature_tree_size_root_hash_witness_vkey"),
        ),
    )
    op.create_index(
        op.f("ix_checkpoint_cosignature_tree_size"),
        "checkpoint_cosignature",
        ["tree_size"],
        unique=False,
    )
    if _postgres():
        op.execute(
            "CREATE TRIGGER checkpoint_cosignature_append_only BEFORE UPDATE OR DELETE "
            "ON checkpoint_cosignature FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER checkpoint_cosignature_no_{action.lower()} BEFORE {action} "
                "ON checkpoint_cosignature BEGIN SELECT RAISE(ABORT, "
                f"'cosignatures are append-only: {action} refused'); END"
            )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_checkpoint_cosignature_tree_size"), table_name="checkpoint_cosignature"
    )
    op.drop_table("checkpoint_cosignature")  # its triggers go with it
    op.drop_table("transparency_witness")

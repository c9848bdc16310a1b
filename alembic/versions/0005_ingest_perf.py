"""ingest perf: a catalog version token for the sales path's per-process cache

Revision ID: 0005
Revises: 0004

``catalog_version`` holds one row whose ``token`` the database itself changes, to a fresh
random value, whenever a statement writes a table that pricing reads; the trigger runs in
the writing transaction, so the token and the data it stands for commit (or roll back)
together. PostgreSQL: one statement-level trigger per table that changes the token once
per transaction and records the writer's transaction id (``writer``), so the writer
itself never caches its own uncommitted catalog; SQLite: row-level triggers (the only
kind it has), a new token on every row written.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose rows change what a sale is priced and routed against.
PRICING_TABLES = (
    "work",
    "recording",
    "share_version",
    "share",
    "tariff",
    "fx_rate",
    "mandate",
    "society",
)
ACTIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("writer", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("INSERT INTO catalog_version (id, token) VALUES (1, gen_random_uuid()::text)")
        # Once per writing transaction (its id is kept in `writer`): updating one row once
        # per statement would pile up row versions that a long import must walk each time.
        # Readers treat a token their own transaction wrote as uncacheable.
        op.execute(
            """
            CREATE OR REPLACE FUNCTION catalog_version_bump() RETURNS trigger AS $$
            BEGIN
                UPDATE catalog_version
                SET token = gen_random_uuid()::text, writer = txid_current()
                WHERE id = 1 AND writer IS DISTINCT FROM txid_current();
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in PRICING_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_catalog_version "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump()"
            )
        return
    op.execute("INSERT INTO catalog_version (id, token) VALUES (1, lower(hex(randomblob(16))))")
    for table in PRICING_TABLES:
        for action in ACTIONS:
            op.execute(
                f"CREATE TRIGGER {table}_catalog_version_{action.lower()} "  # noqa: S608
                f"AFTER {action} ON {table} BEGIN "
                "UPDATE catalog_version SET token = lower(hex(randomblob(16))) WHERE id = 1; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in PRICING_TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_version ON {table}")
        else:
            for action in ACTIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_version_{action.lower()}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS catalog_version_bump()")
    op.drop_table("catalog_version")

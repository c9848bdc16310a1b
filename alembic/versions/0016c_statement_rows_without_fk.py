"""statement lines and usage rows without a foreign key to their statement

Revision ID: 0016c
Revises: 0016f

The month close writes every line and every DSR usage row of a month in one
``INSERT … SELECT`` each (10^6 sales: ~0.3 M lines, ~4 M usage rows), joined to the
statements it inserted moments before in the same transaction. The foreign keys to
``statement`` checked each row again, one ``SELECT … FOR KEY SHARE`` per row: the largest
single cost of writing them (docs/performance-close.md). What they guarded, a row naming
a statement that does not exist, cannot happen: the rows are produced only by that join,
and statements are never deleted (triggers). Both tables stay frozen (triggers). On SQLite
the tables are rebuilt (a constraint cannot be dropped there), which drops their triggers:
they are created again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016c"
down_revision: str | Sequence[str] | None = "0016f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("statement_line", "statement_usage")


def _fk(table: str) -> str:
    return f"fk_{table}_statement_id_statement"


def _sqlite_triggers(table: str, *, create: bool) -> None:
    # 0004's guards, as it wrote them.
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action.lower()}")
        if create:
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'closed months are frozen: {action} on {table} "
                "refused'); END"
            )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        if postgres:
            op.drop_constraint(_fk(table), table, type_="foreignkey")
            continue
        _sqlite_triggers(table, create=False)
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_constraint(_fk(table), type_="foreignkey")
        _sqlite_triggers(table, create=True)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        if postgres:
            op.create_foreign_key(_fk(table), table, "statement", ["statement_id"], ["id"])
            continue
        _sqlite_triggers(table, create=False)
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.create_foreign_key(_fk(table), "statement", ["statement_id"], ["id"])
        _sqlite_triggers(table, create=True)

"""close perf: ETags computed on first request, statements frozen from their insert

Revision ID: 0006
Revises: 0005

A close no longer renders every CSV and DSR file to hash it: each representation's
SHA-256 (its strong ETag) is computed the first time it is requested and kept in
``statement_etag``, insert-only like the rest of a closed month. The hashes earlier closes
stored on ``statement`` are copied there. As a close no longer updates its statements,
``statement`` now refuses every UPDATE (before, only once its hashes were written).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSED = "closed months are frozen: {action} on {table} refused"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "statement_etag",
        sa.Column("statement_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("representation", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_statement_etag_statement_id_statement"),
        ),
        sa.PrimaryKeyConstraint("statement_id", "representation", name=op.f("pk_statement_etag")),
    )
    for representation in ("csv", "dsr"):
        op.execute(
            "INSERT INTO statement_etag (statement_id, representation, sha256) "
            f"SELECT id, '{representation}', {representation}_sha256 FROM statement "
            f"WHERE {representation}_sha256 IS NOT NULL"  # noqa: S608 (fixed names)
        )
    if _postgres():
        op.execute(
            "CREATE TRIGGER statement_etag_frozen BEFORE UPDATE OR DELETE ON statement_etag "
            "FOR EACH ROW EXECUTE FUNCTION statements_frozen()"
        )
        op.execute("DROP TRIGGER statement_frozen ON statement")
        op.execute(
            "CREATE TRIGGER statement_frozen BEFORE UPDATE ON statement "
            "FOR EACH ROW EXECUTE FUNCTION statements_frozen()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        message = _REFUSED.format(action=action, table="statement_etag")
        op.execute(
            f"CREATE TRIGGER statement_etag_no_{action.lower()} BEFORE {action} "
            f"ON statement_etag BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
    op.execute("DROP TRIGGER statement_no_update")
    message = _REFUSED.format(action="UPDATE", table="statement")
    op.execute(
        "CREATE TRIGGER statement_no_update BEFORE UPDATE ON statement "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def downgrade() -> None:
    # Back to 0004's rule: a statement is frozen once its hashes are on it.
    if _postgres():
        op.execute("DROP TRIGGER statement_frozen ON statement")
        op.execute("DROP TRIGGER statement_etag_frozen ON statement_etag")
    else:
        op.execute("DROP TRIGGER statement_no_update")
        op.execute("DROP TRIGGER statement_etag_no_update")
        op.execute("DROP TRIGGER statement_etag_no_delete")
    for representation in ("csv", "dsr"):
        op.execute(
            f"UPDATE statement SET {representation}_sha256 = (SELECT e.sha256 FROM "  # noqa: S608
            "statement_etag e WHERE e.statement_id = statement.id "
            f"AND e.representation = '{representation}') WHERE {representation}_sha256 IS NULL"
        )
    op.drop_table("statement_etag")
    if _postgres():
        op.execute(
            "CREATE TRIGGER statement_frozen BEFORE UPDATE ON statement FOR EACH ROW "
            "WHEN (OLD.csv_sha256 IS NOT NULL) EXECUTE FUNCTION statements_frozen()"
        )
        return
    message = _REFUSED.format(action="UPDATE", table="statement")
    op.execute(
        "CREATE TRIGGER statement_no_update BEFORE UPDATE ON statement "
        f"WHEN OLD.csv_sha256 IS NOT NULL BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )

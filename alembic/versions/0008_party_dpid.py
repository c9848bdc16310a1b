"""party dpid: DDEX identities of societies and holders, frozen on statements

Revision ID: 0008
Revises: 0007

Societies and rights holders get an optional ``dpid`` (DDEX Party ID) and a ``dsr_name``
(no spaces), what a DSR file's HEAD and file name carry for its recipient. Existing rows
get ``dsr_name`` = their code (a society code's ``_`` becomes ``-``: ``_`` separates
file-name elements) or their id. Statements freeze both at close
(``dsr_recipient_id``/``dsr_recipient_name``, NULL for statements closed before this
revision: their DSR names the party by its current ``dsr_name``). Adding columns is not an
UPDATE, so the frozen-statement triggers are untouched.

The DSR ETags stored before this revision describe files the writer no longer produces
(``B1`` block ids, other recipient cells), so they are deleted (the guard trigger is lifted
for that one statement); those statements' DSR ETag is then computed, read-only, on each
request. Statements closed from now on get every ETag at close.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_NO_DELETE = (
    "CREATE TRIGGER statement_etag_no_delete BEFORE DELETE ON statement_etag "
    "BEGIN SELECT RAISE(ABORT, 'closed months are frozen: DELETE on statement_etag refused'); END"
)


def _drop_stale_dsr_etags() -> None:
    delete = "DELETE FROM statement_etag WHERE representation = 'dsr'"
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE statement_etag DISABLE TRIGGER statement_etag_frozen")
        op.execute(delete)
        op.execute("ALTER TABLE statement_etag ENABLE TRIGGER statement_etag_frozen")
        return
    op.execute("DROP TRIGGER statement_etag_no_delete")
    op.execute(delete)
    op.execute(_NO_DELETE)


def _restore_sqlite_society_triggers() -> None:
    """SQLite's batch mode rebuilds ``society`` by copying it, which drops its triggers:
    put back the catalog-version bumps of 0005 (the sales path's cache depends on them)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for action in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS society_catalog_version_{action.lower()}")
        op.execute(
            f"CREATE TRIGGER society_catalog_version_{action.lower()} "  # noqa: S608
            f"AFTER {action} ON society BEGIN "
            "UPDATE catalog_version SET token = lower(hex(randomblob(16))) WHERE id = 1; END"
        )


def upgrade() -> None:
    for table in ("society", "rights_holder"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("dpid", _TEXT(length=18), nullable=True))
            batch.add_column(sa.Column("dsr_name", _TEXT(length=64), nullable=True))
    op.execute("UPDATE society SET dsr_name = REPLACE(code, '_', '-')")
    op.execute("UPDATE rights_holder SET dsr_name = id")
    for table in ("society", "rights_holder"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("dsr_name", existing_type=_TEXT(length=64), nullable=False)
    # Plain ALTER TABLE (no batch copy on SQLite, which would drop the statement triggers).
    op.add_column("statement", sa.Column("dsr_recipient_id", _TEXT(length=18), nullable=True))
    op.add_column("statement", sa.Column("dsr_recipient_name", _TEXT(length=64), nullable=True))
    _drop_stale_dsr_etags()
    _restore_sqlite_society_triggers()


def downgrade() -> None:
    op.drop_column("statement", "dsr_recipient_name")
    op.drop_column("statement", "dsr_recipient_id")
    for table in ("rights_holder", "society"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("dsr_name")
            batch.drop_column("dpid")
    _restore_sqlite_society_triggers()

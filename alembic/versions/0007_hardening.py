"""hardening: the ledger head only moves forward, to a transaction that exists

Revision ID: 0007
Revises: 0006

``ledger_head`` had no guard: ``UPDATE ledger_head SET sequence = sequence - 1`` hid the
newest transactions from verification and made every later write collide. Triggers on
both engines now refuse to delete the row, to insert any row but the genesis head, and
to update it except forward (or in place) to a sequence and hash that a row of
``ledger_transaction`` holds. Writers append their transactions before they move the
head in the same database transaction, so they always satisfy it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSED = "ledger head only moves forward to an appended transaction"
_GENESIS = "0" * 64
# The one condition under which an UPDATE is refused, in SQL both engines accept.
_BAD_UPDATE = f"""
    NEW.id <> OLD.id
    OR NEW.sequence < OLD.sequence
    OR (NEW.sequence = 0 AND NEW.hash <> '{_GENESIS}')
    OR (NEW.sequence > 0 AND NOT EXISTS (
        SELECT 1 FROM ledger_transaction t WHERE t.sequence = NEW.sequence AND t.hash = NEW.hash
    ))
"""
_BAD_INSERT = f"NEW.id <> 1 OR NEW.sequence <> 0 OR NEW.hash <> '{_GENESIS}'"
_SQLITE_TRIGGERS = ("ledger_head_no_delete", "ledger_head_forward", "ledger_head_genesis")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION ledger_head_guard() RETURNS trigger AS $$
            BEGIN
                IF TG_OP IN ('DELETE', 'TRUNCATE')
                   OR (TG_OP = 'INSERT' AND ({_BAD_INSERT}))
                   OR (TG_OP = 'UPDATE' AND ({_BAD_UPDATE})) THEN
                    RAISE EXCEPTION '{_REFUSED}: % refused', TG_OP
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER ledger_head_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_head "
            "FOR EACH ROW EXECUTE FUNCTION ledger_head_guard()"
        )
        op.execute(
            "CREATE TRIGGER ledger_head_no_truncate BEFORE TRUNCATE ON ledger_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_head_guard()"
        )
        return
    op.execute(
        "CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}: DELETE refused'); END"
    )
    op.execute(
        f"CREATE TRIGGER ledger_head_forward BEFORE UPDATE ON ledger_head WHEN {_BAD_UPDATE} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}: UPDATE refused'); END"
    )
    op.execute(
        f"CREATE TRIGGER ledger_head_genesis BEFORE INSERT ON ledger_head WHEN {_BAD_INSERT} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}: INSERT refused'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_head_guard ON ledger_head")
        op.execute("DROP TRIGGER IF EXISTS ledger_head_no_truncate ON ledger_head")
        op.execute("DROP FUNCTION IF EXISTS ledger_head_guard()")
        return
    for trigger in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")

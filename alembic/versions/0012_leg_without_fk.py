"""ledger legs without a foreign key to their transaction

Revision ID: 0012
Revises: 0011

The foreign key from ``ledger_leg.sequence`` to ``ledger_transaction`` was checked once
per leg on every append (~19 µs a sale of PostgreSQL's time, a third of the legs' COPY:
docs/performance-ingest.md). What it guarded, a leg naming a transaction that does not
exist, is now one of ``verify``'s checks (every leg's sequence lies within the chain),
and the legs of every transaction that does exist are covered by its hash. Both ledger
tables stay append-only (triggers). On SQLite the table is rebuilt (a constraint cannot
be dropped there), which drops its triggers: they are created again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_ledger_leg_sequence_ledger_transaction"


def _sqlite_triggers(create: bool) -> None:
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS ledger_leg_no_{action.lower()}")
        if create:
            op.execute(
                f"CREATE TRIGGER ledger_leg_no_{action.lower()} BEFORE {action} ON ledger_leg "
                f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {action} on "
                "ledger_leg refused'); END"
            )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_FK, "ledger_leg", type_="foreignkey")
        return
    _sqlite_triggers(create=False)
    with op.batch_alter_table("ledger_leg", recreate="always") as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
    _sqlite_triggers(create=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(_FK, "ledger_leg", "ledger_transaction", ["sequence"], ["sequence"])
        return
    _sqlite_triggers(create=False)
    with op.batch_alter_table("ledger_leg", recreate="always") as batch_op:
        batch_op.create_foreign_key(_FK, "ledger_transaction", ["sequence"], ["sequence"])
    _sqlite_triggers(create=True)

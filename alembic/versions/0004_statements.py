"""statements: closed periods, statements, their lines and DSR usage, payments

Revision ID: 0004
Revises: 0003

Besides the tables: triggers on both engines that keep a closed month frozen. Lines,
usage rows, closes and payments refuse UPDATE and DELETE; a statement refuses DELETE,
and UPDATE once its representations have been hashed (the last step of its close).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.money
import service.timeutil

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROZEN = ("period_close", "statement_line", "statement_usage", "payment")


def upgrade() -> None:
    op.create_table('payment',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('amount', service.money.Money(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('paid_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('adjustment', sa.Boolean(), nullable=False),
    sa.Column('ledger_sequence', sa.BigInteger(), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('reference', name=op.f('uq_payment_reference'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_party'), ['party'], unique=False)

    op.create_table('period_close',
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('closed_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.Column('ledger_sequence', sa.BigInteger(), nullable=False),
    sa.Column('ledger_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('statement_count', sa.Integer(), nullable=False),
    sa.Column('fx_transactions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_period_close'))
    )
    op.create_table('statement',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('party_type', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('party_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('commission_rate', service.money.ExactDecimal(), nullable=False),
    sa.Column('payout_threshold', service.money.ExactDecimal(), nullable=True),
    sa.Column('royalty_exact', service.money.Money(), nullable=False),
    sa.Column('royalty', service.money.Money(), nullable=False),
    sa.Column('commission', service.money.Money(), nullable=False),
    sa.Column('net', service.money.Money(), nullable=False),
    sa.Column('opening_balance', service.money.Money(), nullable=False),
    sa.Column('payments', service.money.Money(), nullable=False),
    sa.Column('closing_balance', service.money.Money(), nullable=False),
    sa.Column('balance_exact', service.money.Money(), nullable=False),
    sa.Column('payable', sa.Boolean(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('ledger_sequence', sa.BigInteger(), nullable=False),
    sa.Column('ledger_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('closed_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.Column('csv_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('dsr_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('dsr_file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('dsr_sender_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('dsr_sender_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement')),
    sa.UniqueConstraint('period', 'party', 'currency', name=op.f('uq_statement_period_party_currency'))
    )
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_party'), ['party'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_period'), ['period'], unique=False)

    op.create_table('statement_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('statement_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('isrc', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('iswc', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
    sa.Column('territory', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('right_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('holder_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('share', service.money.ExactDecimal(), nullable=True),
    sa.Column('units', sa.BigInteger(), nullable=False),
    sa.Column('gross_sales', service.money.Money(), nullable=False),
    sa.Column('royalty', service.money.Money(), nullable=False),
    sa.Column('adjustment', sa.Boolean(), nullable=False),
    sa.Column('non_member', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_statement_line_statement_id_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_line')),
    sa.UniqueConstraint('statement_id', 'line_no', name=op.f('uq_statement_line_statement_id_line_no'))
    )
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_line_holder_id'), ['holder_id'], unique=False)

    op.create_table('statement_usage',
    sa.Column('statement_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('isrc', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('territory', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('right_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('sale_pk', sa.BigInteger(), nullable=True),
    sa.Column('usages', sa.BigInteger(), nullable=False),
    sa.Column('returns', sa.BigInteger(), nullable=False),
    sa.Column('gross_sold', service.money.Money(), nullable=False),
    sa.Column('gross_returned', service.money.Money(), nullable=False),
    sa.Column('royalty', service.money.Money(), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['statement.id'], name=op.f('fk_statement_usage_statement_id_statement')),
    sa.PrimaryKeyConstraint('statement_id', 'row_no', name=op.f('pk_statement_usage'))
    )
    _create_guards()


def _create_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION statements_frozen() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'closed months are frozen: % on % refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in FROZEN:
            op.execute(
                f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION statements_frozen()"
            )
        op.execute(
            "CREATE TRIGGER statement_no_delete BEFORE DELETE ON statement "
            "FOR EACH ROW EXECUTE FUNCTION statements_frozen()"
        )
        op.execute(
            "CREATE TRIGGER statement_frozen BEFORE UPDATE ON statement FOR EACH ROW "
            "WHEN (OLD.csv_sha256 IS NOT NULL) EXECUTE FUNCTION statements_frozen()"
        )
        return
    for table in FROZEN:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'closed months are frozen: {action} on {table} "
                "refused'); END"
            )
    op.execute(
        "CREATE TRIGGER statement_no_delete BEFORE DELETE ON statement "
        "BEGIN SELECT RAISE(ABORT, 'closed months are frozen: DELETE on statement refused'); END"
    )
    op.execute(
        "CREATE TRIGGER statement_no_update BEFORE UPDATE ON statement "
        "WHEN OLD.csv_sha256 IS NOT NULL "
        "BEGIN SELECT RAISE(ABORT, 'closed months are frozen: UPDATE on statement refused'); END"
    )


def _drop_guards() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in FROZEN:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    for trigger in ("statement_no_delete", "statement_frozen", "statement_no_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON statement" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS statements_frozen()")


def downgrade() -> None:
    _drop_guards()
    op.drop_table('statement_usage')
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_line_holder_id'))

    op.drop_table('statement_line')
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_period'))
        batch_op.drop_index(batch_op.f('ix_statement_party'))

    op.drop_table('statement')
    op.drop_table('period_close')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_party'))

    op.drop_table('payment')

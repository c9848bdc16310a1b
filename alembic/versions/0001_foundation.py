"""foundation: parties, catalog, tariffs, ledger

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 09:43:12.148929

Besides the tables: the ledger's genesis head row, and triggers that make ledger rows
append-only on both engines (corrections are new transactions, never edits).

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import service.money
import service.timeutil


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('api_key',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', service.timeutil.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_key_token_hash'))
    )
    op.create_table('fx_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('from_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('to_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('rate', service.money.ExactDecimal(), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fx_rate')),
    sa.UniqueConstraint('from_currency', 'to_currency', 'date', name=op.f('uq_fx_rate_from_currency_to_currency_date'))
    )
    op.create_table('ledger_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_head'))
    )
    op.create_table('ledger_transaction',
    sa.Column('sequence', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('adjustment', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('sequence', name=op.f('pk_ledger_transaction')),
    sa.UniqueConstraint('hash', name=op.f('uq_ledger_transaction_hash'))
    )
    with op.batch_alter_table('ledger_transaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transaction_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transaction_reference'), ['reference'], unique=False)

    op.create_table('rights_holder',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('ipi', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
    sa.Column('isni', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rights_holder')),
    sa.UniqueConstraint('ipi', name=op.f('uq_rights_holder_ipi')),
    sa.UniqueConstraint('isni', name=op.f('uq_rights_holder_isni'))
    )
    op.create_table('share_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_kind', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
    sa.Column('asset_id', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_version')),
    sa.UniqueConstraint('asset_kind', 'asset_id', 'valid_from', name=op.f('uq_share_version_asset_kind_asset_id_valid_from'))
    )
    with op.batch_alter_table('share_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_version_asset_id'), ['asset_id'], unique=False)

    op.create_table('society',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('commission_rate', service.money.ExactDecimal(), nullable=False),
    sa.Column('extended_collective_licensing', sa.Boolean(), nullable=False),
    sa.Column('payout_threshold', service.money.ExactDecimal(), nullable=True),
    sa.Column('right_types', sa.JSON(), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_society'))
    )
    with op.batch_alter_table('society', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_society_country'), ['country'], unique=False)

    op.create_table('store',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('webhook_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_store'))
    )
    op.create_table('tariff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('right_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('percent_of_gross', service.money.ExactDecimal(), nullable=True),
    sa.Column('per_unit', service.money.ExactDecimal(), nullable=True),
    sa.Column('per_minute_rate', service.money.ExactDecimal(), nullable=True),
    sa.Column('per_minute_over_seconds', sa.Integer(), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.CheckConstraint('percent_of_gross IS NOT NULL OR per_unit IS NOT NULL OR per_minute_rate IS NOT NULL', name=op.f('ck_tariff_has_component')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff'))
    )
    with op.batch_alter_table('tariff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariff_territory'), ['territory'], unique=False)

    op.create_table('work',
    sa.Column('iswc', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('iswc', name=op.f('pk_work'))
    )
    op.create_table('ledger_leg',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('amount', service.money.Money(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('sale_pk', sa.BigInteger(), nullable=True),
    sa.Column('right_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('isrc', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('iswc', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
    sa.Column('territory', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('holder_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('society_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('non_member', sa.Boolean(), nullable=False),
    sa.Column('suspense_reason', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('share', service.money.ExactDecimal(), nullable=True),
    sa.Column('units', sa.Integer(), nullable=True),
    sa.Column('gross', service.money.Money(), nullable=True),
    sa.ForeignKeyConstraint(['sequence'], ['ledger_transaction.sequence'], name=op.f('fk_ledger_leg_sequence_ledger_transaction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_leg'))
    )
    with op.batch_alter_table('ledger_leg', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_leg_account_period', ['account', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_leg_sale_pk'), ['sale_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_leg_sequence'), ['sequence'], unique=False)

    op.create_table('mandate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('society_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('right_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('territories', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['holder_id'], ['rights_holder.id'], name=op.f('fk_mandate_holder_id_rights_holder')),
    sa.ForeignKeyConstraint(['society_code'], ['society.code'], name=op.f('fk_mandate_society_code_society')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandate'))
    )
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mandate_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mandate_society_code'), ['society_code'], unique=False)

    op.create_table('recording',
    sa.Column('isrc', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('artist', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('iswc', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
    sa.Column('created_at', service.timeutil.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['iswc'], ['work.iswc'], name=op.f('fk_recording_iswc_work')),
    sa.PrimaryKeyConstraint('isrc', name=op.f('pk_recording'))
    )
    with op.batch_alter_table('recording', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recording_iswc'), ['iswc'], unique=False)

    op.create_table('share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('right_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('territory', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('share', service.money.ExactDecimal(), nullable=False),
    sa.ForeignKeyConstraint(['holder_id'], ['rights_holder.id'], name=op.f('fk_share_holder_id_rights_holder')),
    sa.ForeignKeyConstraint(['version_id'], ['share_version.id'], name=op.f('fk_share_version_id_share_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share')),
    sa.UniqueConstraint('version_id', 'right_type', 'territory', 'holder_id', name=op.f('uq_share_version_id_right_type_territory_holder_id'))
    )
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_version_id'), ['version_id'], unique=False)

    op.execute("INSERT INTO ledger_head (id, sequence, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    for table in APPEND_ONLY:
        create_append_only_guard(table)


APPEND_ONLY = ("ledger_transaction", "ledger_leg")


def create_append_only_guard(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table``; later migrations reuse this."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {action} on {table} refused'); END"
            )


def drop_append_only_guard(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def downgrade() -> None:
    """Downgrade schema."""
    for table in APPEND_ONLY:
        drop_append_only_guard(table)
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_version_id'))
        batch_op.drop_index(batch_op.f('ix_share_holder_id'))

    op.drop_table('share')
    with op.batch_alter_table('recording', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recording_iswc'))

    op.drop_table('recording')
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mandate_society_code'))
        batch_op.drop_index(batch_op.f('ix_mandate_holder_id'))

    op.drop_table('mandate')
    with op.batch_alter_table('ledger_leg', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_leg_sequence'))
        batch_op.drop_index(batch_op.f('ix_ledger_leg_sale_pk'))
        batch_op.drop_index('ix_ledger_leg_account_period')

    op.drop_table('ledger_leg')
    op.drop_table('work')
    with op.batch_alter_table('tariff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariff_territory'))

    op.drop_table('tariff')
    op.drop_table('store')
    with op.batch_alter_table('society', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_society_country'))

    op.drop_table('society')
    with op.batch_alter_table('share_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_version_asset_id'))

    op.drop_table('share_version')
    op.drop_table('rights_holder')
    with op.batch_alter_table('ledger_transaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transaction_reference'))
        batch_op.drop_index(batch_op.f('ix_ledger_transaction_period'))

    op.drop_table('ledger_transaction')
    op.drop_table('ledger_head')
    op.drop_table('fx_rate')
    op.drop_table('api_key')
    if op.get_bind().dialect.name == "postgresql":
        # The guards' shared trigger function: every trigger using it is gone by now, and
        # leaving it would make base differ from an empty database.
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")

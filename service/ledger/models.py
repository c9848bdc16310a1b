"""Tables of the ledger: hash-chained transactions and their double-entry legs.

Legs carry the royalty's dimensions (recording, work, territory, right type, holder...),
so statements are aggregates of legs and can be checked against the chain.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import ExactDecimal, Money
from service.timeutil import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


# One balanced, immutable change of money; `hash` chains it to every earlier one.
class LedgerTransaction(SQLModel, table=True):
    __tablename__ = "ledger_transaction"
    sequence: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=24)  # sale | refund | release | payment | fx_conversion
    reference: str = Field(max_length=200, index=True)
    period: str = Field(max_length=7, index=True)  # booked month, YYYY-MM
    adjustment: bool = False  # booked in a later month than the one it belongs to
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


# One posting to one account in one currency; the legs of a transaction sum to zero.
class LedgerLeg(SQLModel, table=True):
    __tablename__ = "ledger_leg"
    __table_args__ = (sa.Index("ix_ledger_leg_account_period", "account", "period"),)
    # SQLite numbers rows by itself only for INTEGER PRIMARY KEY (BIGINT stays null).
    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    # No foreign key to ledger_transaction: checking it cost a third of appending the legs;
    # verify checks that every leg's sequence lies within the chain (migration 0012).
    sequence: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False, index=True))
    account: str = Field(
        max_length=80
    )  # society:ROMS | holder:<id> | store:<code> | suspense:<reason> | fx:<CUR> | cash
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_type=Money)
    period: str = Field(max_length=7)
    # Dimensions of a royalty leg (null on legs that are not royalties).
    sale_pk: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    right_type: str | None = Field(default=None, max_length=16)
    isrc: str | None = Field(default=None, max_length=12)
    iswc: str | None = Field(default=None, max_length=15)
    territory: str | None = Field(default=None, max_length=2)
    holder_id: str | None = Field(default=None, max_length=32)
    society_code: str | None = Field(default=None, max_length=32)
    non_member: bool = False
    suspense_reason: str | None = Field(default=None, max_length=24)
    share: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    units: int | None = None
    gross: Decimal | None = Field(default=None, sa_type=Money)
    # 16 random bytes hiding this leg in the transparency log (null before migration 0010).
    salt: bytes | None = Field(default=None, sa_type=sa.LargeBinary(16))


# The tip of the chain; one row, locked while a writer appends (serialises the chain).
class LedgerHead(SQLModel, table=True):
    __tablename__ = "ledger_head"
    id: int = Field(default=1, primary_key=True)
    sequence: int = Field(default=0, sa_type=sa.BigInteger)
    hash: str = Field(default=GENESIS_HASH, max_length=64)


# A closed month: nothing is booked in it or before it any more (``ledger.periods``). The
# primary key is the unique constraint that makes a close happen once; the counts are what
# the close reported (statements issued, FX conversions posted).
class PeriodClose(SQLModel, table=True):
    __tablename__ = "period_close"
    period: str = Field(primary_key=True, max_length=7)
    closed_at: datetime = Field(sa_type=UTCDateTime)
    ledger_sequence: int = Field(sa_type=sa.BigInteger)
    ledger_hash: str = Field(max_length=64)
    statement_count: int
    fx_transactions: int


# --- the transparency log's tree (leaf i is ledger transaction i + 1) ---

TILE_HEIGHT = 8  # a tile holds 2**8 = 256 hashes of one tree level
TILE_WIDTH = 1 << TILE_HEIGHT


# Hashes of tree level ``8 * level`` with indices ``idx*256 …``: 32 bytes each, concatenated
# (fewer than 256 only in the last tile of a level, rewritten as the tree grows).
class MerkleTile(SQLModel, table=True):
    __tablename__ = "merkle_tile"
    level: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hashes: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))

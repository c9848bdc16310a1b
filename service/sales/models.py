"""Tables of the sales domain: sales and refunds.

Money itself lives only in the ledger; these rows keep what a store sent (for replays
and conflict checks) and the *allocation basis* of each sale: per right type, the unit
royalty (with the FX rate it used) and the routed share claims. Refunds and suspense
releases are computed from that basis, never re-derived from a catalog that may have
changed since, so a sale's refunds always negate exactly what was booked for it.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import Money
from service.timeutil import UTCDateTime, utcnow

# BIGINT, except on SQLite where only INTEGER PRIMARY KEY numbers rows by itself.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# One sale row a store posted, recorded once per (store, sale_id).
class Sale(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("store_code", "sale_id"),)
    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    store_code: str = Field(foreign_key="store.code", max_length=64)
    sale_id: str = Field(max_length=100)
    isrc: str = Field(max_length=12, index=True)
    territory: str = Field(max_length=2)
    sold_at: datetime = Field(sa_type=UTCDateTime)
    period: str = Field(max_length=7, index=True)  # month of sold_at, YYYY-MM
    quantity: int
    unit_price: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3)
    # The work the current basis priced against (null: recording unknown or unlinked).
    iswc: str | None = Field(default=None, max_length=15)
    # Some right type of the current basis still holds money (or a price) in suspense.
    held: bool = False
    # Current allocation basis, see service.sales.pricing.basis (rewritten by suspense releases).
    basis: dict[str, Any] = Field(
        default_factory=dict, sa_type=sa.JSON, sa_column_kwargs={"nullable": False}
    )
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Units of a sale given back, recorded once per (store, refund_id).
class Refund(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("store_code", "refund_id"),)
    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    store_code: str = Field(foreign_key="store.code", max_length=64)
    refund_id: str = Field(max_length=100)
    sale_pk: int = Field(
        sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("sale.id"), nullable=False, index=True)
    )
    quantity: int
    refunded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# One row whose token changes, to a fresh random value, in every transaction that writes
# what pricing reads (works, recordings, share versions and shares, tariffs, FX rates,
# mandates, societies): database triggers set it (migration 0005). The sales path caches
# that data per process and compares the token once per batch (service.sales.pricing.generation).
# On PostgreSQL the token changes once per writing transaction, whose id is kept in
# `writer`: that transaction itself never caches (it may write more afterwards).
# Random rather than a counter: a rolled-back change never hands its value to a later one.
class CatalogVersion(SQLModel, table=True):
    __tablename__ = "catalog_version"
    id: int = Field(default=1, primary_key=True)
    token: str = Field(max_length=36)
    # PostgreSQL: the transaction that set the token (it changes it once per transaction).
    writer: int | None = Field(default=None, sa_type=sa.BigInteger)

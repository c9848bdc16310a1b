"""SQL building blocks over the ledger's legs, shared by the close and the read side.

A month's legs are found through ``ledger_transaction.period`` (indexed; a leg's period
is always its transaction's) and joined by sequence, never by scanning every leg.

Statements are aggregates of legs: these helpers name the parties that get statements
(with their payout currency), the transaction kinds that carry royalties, and the signed
units and gross of a leg, so every query reads the ledger the same way.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from service.ledger.models import LedgerLeg, LedgerTransaction
from service.parties.models import RightsHolder, Society
from service.sql import table_of

LEGS = table_of(LedgerLeg)
TXS = table_of(LedgerTransaction)
# Only a sale's date (the FX date of its royalties), currency and month are read; a
# lightweight clause keeps this domain independent of the sales models.
SALES = sa.table(
    "sale",
    sa.column("id", sa.BigInteger),
    sa.column("sold_at", sa.DateTime),
    sa.column("currency", sa.String),
    sa.column("period", sa.String),
)

SALE = "sale"
PAYMENT = "payment"
FX_CONVERSION = "fx_conversion"
REFUND = "refund"
# Kinds that are not royalties: they never become statement lines or DSR usage.
NOT_ROYALTY = (PAYMENT, FX_CONVERSION)
SOCIETY_PREFIX = "society:"
HOLDER_PREFIX = "holder:"


def parties() -> sa.Subquery:
    """Every party that can have a statement: (account, payout currency, party_type)."""
    society_columns: list[Any] = [
        (sa.literal(SOCIETY_PREFIX, sa.String) + col(Society.code)).label("account"),
        col(Society.currency).label("currency"),
        sa.literal("society", sa.String).label("party_type"),
    ]
    holder_columns: list[Any] = [
        (sa.literal(HOLDER_PREFIX, sa.String) + col(RightsHolder.id)).label("account"),
        col(RightsHolder.currency).label("currency"),
        sa.literal("holder", sa.String).label("party_type"),
    ]
    societies, holders = sa.select(*society_columns), sa.select(*holder_columns)
    return sa.union_all(societies, holders).subquery("party")


def signed_units() -> ColumnElement[Any]:
    # A refund leg's units are the units given back, whatever sign the writer used.
    units = sa.func.coalesce(LEGS.c.units, 0)
    return sa.case((TXS.c.kind == REFUND, -sa.func.abs(units)), else_=units)


def signed_gross() -> ColumnElement[Any]:
    gross = sa.func.coalesce(LEGS.c.gross, 0)
    return sa.case((TXS.c.kind == REFUND, -sa.func.abs(gross)), else_=gross)


def royalty_legs() -> sa.Select[Any]:
    """Legs carrying royalties, joined to their transaction: sales, refunds and releases
    (never payments, nor the close's currency conversions)."""
    return (
        sa.select()
        .select_from(LEGS.join(TXS, TXS.c.sequence == LEGS.c.sequence))
        .where(TXS.c.kind.not_in(NOT_ROYALTY), LEGS.c.right_type.is_not(None))
    )


def sale_day(dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of ``sale.sold_at`` (a date on PostgreSQL, text on SQLite)."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("UTC", SALES.c.sold_at), sa.Date)
    # SQLite keeps UTC timestamps as ISO text: its first ten characters are the day.
    return sa.func.substr(SALES.c.sold_at, 1, 10)

"""Tables of the statements domain: statements, their lines, payments (the closed months
themselves are the ledger's: ``service.ledger.models.PeriodClose``).

Everything here is written once, when a month closes (or a payment is made), and read
many times; a closed month's rows are never rebuilt.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import ExactDecimal, Money
from service.timeutil import UTCDateTime, utcnow

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
AutoBigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# One party's statement of one month, in the party's currency; amounts frozen at close.
class Statement(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("period", "party", "currency"),)
    id: str = Field(primary_key=True, max_length=32)
    period: str = Field(max_length=7, index=True)
    party: str = Field(max_length=80, index=True)  # society:ROMS | holder:<id>
    party_type: str = Field(max_length=8)  # society | holder
    party_name: str = Field(max_length=200)
    currency: str = Field(max_length=3)
    # Frozen at close: later changes to the society's terms do not alter a statement.
    commission_rate: Decimal = Field(sa_type=ExactDecimal)
    payout_threshold: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    royalty_exact: Decimal = Field(sa_type=Money)  # sum of the lines, unrounded
    royalty: Decimal = Field(sa_type=Money)  # rounded half-even to the minor unit
    commission: Decimal = Field(sa_type=Money)
    net: Decimal = Field(sa_type=Money)
    opening_balance: Decimal = Field(sa_type=Money)
    payments: Decimal = Field(sa_type=Money)
    closing_balance: Decimal = Field(sa_type=Money)
    balance_exact: Decimal = Field(sa_type=Money)  # the ledger's exact balance at close
    payable: bool
    line_count: int
    ledger_sequence: int = Field(sa_type=sa.BigInteger)
    ledger_hash: str = Field(max_length=64)
    closed_at: datetime = Field(sa_type=UTCDateTime)
    # Legacy: SHA-256 of the streamed representations as closes before migration 0006
    # computed them; 0006 copied them into statement_etag, which now holds every ETag.
    csv_sha256: str | None = Field(default=None, max_length=64)
    dsr_sha256: str | None = Field(default=None, max_length=64)
    dsr_file_name: str | None = Field(default=None, max_length=200)
    dsr_sender_id: str = Field(max_length=64)
    dsr_sender_name: str = Field(max_length=200)
    # The party's DDEX identity at close (NULL: closed before migration 0008).
    dsr_recipient_id: str | None = Field(default=None, max_length=18)
    dsr_recipient_name: str | None = Field(default=None, max_length=64)
    # How its DSR file is laid out (render.dsr_document.DSR_LAYOUT), frozen at close so
    # the file stays byte-identical; NULL: closed before migration 0016f (layout 1).
    dsr_layout: int | None = Field(default=None)


# One line of a statement: the royalties of one recording, work, territory, right type,
# holder, share, adjustment flag and membership, summed over the month's ledger legs.
class StatementLine(SQLModel, table=True):
    __tablename__ = "statement_line"
    __table_args__ = (sa.UniqueConstraint("statement_id", "line_no"),)
    id: int | None = Field(default=None, sa_column=sa.Column(AutoBigInt, primary_key=True))
    # No foreign key (0016c): the close writes lines only by joining its new statements.
    statement_id: str = Field(max_length=32)
    line_no: int
    isrc: str | None = Field(default=None, max_length=12)
    iswc: str | None = Field(default=None, max_length=15)
    territory: str | None = Field(default=None, max_length=2)
    right_type: str = Field(max_length=16)
    holder_id: str | None = Field(default=None, max_length=32, index=True)
    share: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    units: int = Field(sa_type=sa.BigInteger)
    gross_sales: Decimal = Field(sa_type=Money)
    royalty: Decimal = Field(sa_type=Money)
    adjustment: bool
    non_member: bool


# The sales usage behind a statement, one row per sale and right type, in the sale's
# currency: what the DSR export reports (SU01 rows), frozen at close.
class StatementUsage(SQLModel, table=True):
    __tablename__ = "statement_usage"
    # No foreign key (0016c): the close writes usage rows only by joining its new statements.
    statement_id: str = Field(primary_key=True, max_length=32)
    row_no: int = Field(primary_key=True)
    isrc: str | None = Field(default=None, max_length=12)
    territory: str | None = Field(default=None, max_length=2)
    right_type: str = Field(max_length=16)
    currency: str = Field(max_length=3)
    sale_pk: int | None = Field(default=None, sa_type=sa.BigInteger)
    usages: int = Field(sa_type=sa.BigInteger)
    returns: int = Field(sa_type=sa.BigInteger)
    gross_sold: Decimal = Field(sa_type=Money)
    gross_returned: Decimal = Field(sa_type=Money)
    royalty: Decimal = Field(sa_type=Money)
    # Dated in an earlier, closed month (a late sale or refund); false for every row of a
    # statement closed before migration 0016f.
    late: bool = False


# The strong ETag of a streamed representation (csv | dsr): the SHA-256 of its bytes,
# computed the first time it is requested (not at close) and kept; never changed.
class StatementEtag(SQLModel, table=True):
    __tablename__ = "statement_etag"
    statement_id: str = Field(foreign_key="statement.id", primary_key=True, max_length=32)
    representation: str = Field(primary_key=True, max_length=8)
    sha256: str = Field(max_length=64)


# A payout to a party, recorded as a ledger transaction; `reference` makes it idempotent.
class Payment(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    reference: str = Field(max_length=200, unique=True)
    party: str = Field(max_length=80, index=True)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(max_length=3)
    paid_at: datetime = Field(sa_type=UTCDateTime)
    period: str = Field(max_length=7)  # the month it is booked in
    adjustment: bool
    ledger_sequence: int = Field(sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

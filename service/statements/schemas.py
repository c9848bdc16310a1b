"""Request and response bodies of periods, statements, remittance advice and payments.

Amounts are strings written by ``service.statements.amounts``: lines exact with at least
six fractional digits, totals and balances at the currency's minor unit.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.bounds import PositiveMoney, Timestamp
from service.identifiers import Currency
from service.ledger.schemas import HeadPublic
from service.transparency.schemas import SthPublic

Amount = Annotated[str, Field(examples=["1234.57"])]
ExactAmount = Annotated[str, Field(examples=["0.185175"])]


# Conservation of one currency in a closed month.
class ReconciliationPublic(BaseModel):
    currency: str = Field(examples=["RUB"])
    recorded: ExactAmount = Field(description="Royalties the month's sales and refunds booked.")
    converted: ExactAmount = Field(
        description="Net amount the close's FX conversion moved into this currency "
        "(negative: converted away into the parties' currencies)."
    )
    on_statements: ExactAmount = Field(description="Exact sum of the statements' lines.")
    in_suspense: ExactAmount = Field(description="Held in suspense, booked in the month.")
    difference: ExactAmount = Field(
        description="recorded + converted - on_statements - in_suspense; always 0."
    )
    balanced: bool


# A calendar month: open, or closed with its statements issued.
class PeriodPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2006-11",
                    "status": "closed",
                    "closed_at": "2006-12-01T09:00:00Z",
                    "ledger_head": {"sequence": 1042, "hash": "9f2c...e1"},
                    "statement_count": 3,
                    "fx_transactions": 1,
                    "reconciliation": [
                        {
                            "currency": "RUB",
                            "recorded": "2670.000000",
                            "converted": "26.700000",
                            "on_statements": "2456.700000",
                            "in_suspense": "240.000000",
                            "difference": "0.000000",
                            "balanced": True,
                        }
                    ],
                }
            ]
        }
    )
    period: str
    status: str = Field(examples=["closed"], description="`open` or `closed`.")
    closed_at: datetime | None
    ledger_head: HeadPublic | None = Field(description="The ledger head the close pinned.")
    statement_count: int
    fx_transactions: int
    reconciliation: list[ReconciliationPublic] | None = Field(
        description="Closed months, admin only: royalties recorded (after conversion) "
        "= on statements + in suspense, per currency."
    )


# What a statement adds up to, rounded half-even to the currency's minor unit.
class TotalsPublic(BaseModel):
    royalty: Amount = Field(
        description="closing_balance - opening_balance + payments: the month's exact royalty "
        "(the lines' sum, `royalty_exact` at close) plus the change in the sub-minor-unit "
        "remainder carried from earlier months (cumulative rounding; at most one minor "
        "unit from the lines' exact sum), so statements foot and never drift."
    )
    commission: Amount = Field(
        description="commission_rate x the lines' exact sum, rounded half-even."
    )
    net: Amount = Field(description="royalty - commission of the rounded totals.")
    lines_royalty: Amount = Field(
        description="The lines' exact sum (`royalty_exact`), rounded half-even once to the "
        "currency's minor unit."
    )
    rounding: Amount = Field(
        description="royalty - lines_royalty: the change in the sub-minor-unit remainder "
        "carried between months (-1, 0 or +1 minor unit), so that royalty = lines_royalty "
        "+ rounding and every month's figure is explained by what the statement shows."
    )


# A statement's header, as listed.
class StatementPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5f0c8d3a9b2e4c1d8e7f6a5b4c3d2e1f",
                    "period": "2006-11",
                    "party_type": "society",
                    "party": "society:ROMS",
                    "currency": "RUB",
                    "totals": {
                        "royalty": "2456.70",
                        "commission": "368.51",
                        "net": "2088.19",
                        "lines_royalty": "2456.70",
                        "rounding": "0.00",
                    },
                    "opening_balance": "0.00",
                    "payments": "0.00",
                    "closing_balance": "2456.70",
                    "payable": True,
                    "line_count": 12,
                    "ledger_head": {"sequence": 1042, "hash": "9f2c...e1"},
                    "party_name": "ROMS",
                    "commission_rate": "0.15",
                    "payout_threshold": None,
                    "balance_exact": "2456.700000",
                    "closed_at": "2006-12-01T09:00:00Z",
                }
            ]
        }
    )
    id: str
    period: str
    party_type: str = Field(description="`society` or `holder`.")
    party: str
    currency: str
    totals: TotalsPublic
    opening_balance: Amount = Field(description="The previous statement's closing balance.")
    payments: Amount
    closing_balance: Amount = Field(
        description="opening_balance + royalty - payments, and always balance_exact rounded "
        "half-even to the currency's minor unit."
    )
    payable: bool = Field(description="False below the society's payout_threshold.")
    line_count: int
    ledger_head: HeadPublic
    party_name: str
    commission_rate: str = Field(description="Frozen at close; 0 on holder statements.")
    payout_threshold: str | None
    balance_exact: ExactAmount = Field(
        description="The party's exact ledger balance in this currency at close; "
        "closing_balance is it rounded half-even to the minor unit."
    )
    closed_at: datetime


# One statement line: exact amounts, at least six fractional digits.
class LinePublic(BaseModel):
    isrc: str | None = Field(examples=["RUA010600001"])
    iswc: str | None = Field(examples=["T-034.524.680-1"])
    territory: str | None = Field(examples=["RU"])
    right_type: str = Field(examples=["mechanical"])
    holder_id: str | None
    share: str | None = Field(examples=["0.5"])
    units: int = Field(description="Units behind the line; not summed across holders.")
    gross_sales: ExactAmount
    royalty: ExactAmount
    commission: ExactAmount
    net: ExactAmount
    currency: str
    adjustment: bool
    non_member: bool


# A statement with a page of its lines (`next_cursor` pages through them).
class StatementDetail(StatementPublic):
    lines: list[LinePublic]
    sth: SthPublic | None = Field(
        default=None,
        description="The signed tree head the month's close pinned (docs/transparency.md); "
        "null for months closed before the transparency log.",
    )
    next_cursor: str | None = Field(description="Pass as `?cursor=` for the next lines.")


# A rights holder's line on a society's statement (remittance advice).
class RemittanceLinePublic(LinePublic):
    statement_id: str
    period: str
    society: str = Field(examples=["society:ROMS"])


# What an admin sends to record a payout.
class PaymentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "party": "society:ROMS",
                    "amount": "2000.00",
                    "currency": "RUB",
                    "paid_at": "2006-12-05T12:00:00Z",
                    "reference": "wire-2006-12-0001",
                }
            ]
        },
    )
    party: Annotated[str, Field(pattern=r"^(society|holder):\S+$", examples=["society:ROMS"])]
    amount: Annotated[PositiveMoney, Field(examples=["2000.00"])]
    currency: Currency
    paid_at: Timestamp
    # Booked as the ledger reference "payment:<reference>" in a 200-character column.
    reference: Annotated[str, Field(min_length=1, max_length=200 - len("payment:"))]


# A payment as recorded.
class PaymentPublic(BaseModel):
    id: str
    party: str
    amount: Amount
    currency: str
    paid_at: datetime
    reference: str
    period: str = Field(description="The month it is booked in.")
    adjustment: bool = Field(description="Booked in a later month than paid_at's (closed).")
    ledger_sequence: int

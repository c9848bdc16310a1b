"""Tables of the scenarios domain: a scenario's rules and its stored report.

Nothing here is money the ledger owes: a scenario is what every party *would* be owed
under another jurisdiction rule or tariff, beside what the books say, kept so that the
report reads the same every time (the books it compared with are pinned by their head).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import Money
from service.timeutil import UTCDateTime, utcnow

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# One run: its rules, when, against which books, and whether it reproduced them.
class Scenario(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    period_from: str = Field(max_length=7)
    period_to: str = Field(max_length=7)
    store_code: str | None = Field(default=None, max_length=64)
    territory_rule: str = Field(max_length=16)  # buyer | store_licence
    catalogue_date: date | None = None  # None: shares and mandates as of each sale
    # The tariff overrides as sent (decimal strings), in request order.
    overrides: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"nullable": False}
    )
    sales: int  # sale rows re-priced
    groups: int  # distinct priced inputs among them (each priced once)
    ledger_sequence: int = Field(sa_type=sa.BigInteger)  # the books compared: up to here
    differs_from_books: bool


# Per party, holder, currency, buyer's territory and right type: books and scenario.
class ScenarioRow(SQLModel, table=True):
    __tablename__ = "scenario_row"
    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    scenario_id: str = Field(foreign_key="scenario.id", index=True, max_length=32)
    party: str = Field(max_length=80)  # an account: society:ROMS, holder:<id>, store:…
    holder_id: str | None = Field(default=None, max_length=32)
    currency: str = Field(max_length=3)
    territory: str = Field(max_length=2)  # the buyer's
    right_type: str | None = Field(default=None, max_length=16)  # None: the store's side
    books: Decimal = Field(sa_type=Money)
    scenario: Decimal = Field(sa_type=Money)


# Sales the scenario could not pay out: unlicensed where it prices them, or held.
class ScenarioException(SQLModel, table=True):
    __tablename__ = "scenario_exception"
    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    scenario_id: str = Field(foreign_key="scenario.id", index=True, max_length=32)
    reason: str = Field(max_length=32)
    territory: str = Field(max_length=2)  # the buyer's
    priced_in: str | None = Field(default=None, max_length=2)  # where the scenario priced it
    currency: str = Field(max_length=3)
    sales: int
    units: int
    amount: Decimal = Field(sa_type=Money)  # held in suspense (0 when unlicensed)

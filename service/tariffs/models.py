"""Tables of tariffs and exchange rates."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import ExactDecimal
from service.timeutil import UTCDateTime, utcnow


# What a sale in a territory owes for one right type, over a validity range.
class Tariff(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint(
            "percent_of_gross IS NOT NULL OR per_unit IS NOT NULL OR per_minute_rate IS NOT NULL",
            name="has_component",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    territory: str = Field(max_length=2, index=True)
    right_type: str = Field(max_length=16)
    currency: str = Field(max_length=3)
    valid_from: date
    valid_to: date | None = None
    percent_of_gross: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    per_unit: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    per_minute_rate: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    per_minute_over_seconds: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Units of `to_currency` bought by one unit of `from_currency` on a date.
class FxRate(SQLModel, table=True):
    __tablename__ = "fx_rate"
    __table_args__ = (sa.UniqueConstraint("from_currency", "to_currency", "date"),)
    id: int | None = Field(default=None, primary_key=True)
    date: date
    from_currency: str = Field(max_length=3)
    to_currency: str = Field(max_length=3)
    rate: Decimal = Field(sa_type=ExactDecimal)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

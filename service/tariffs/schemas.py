"""Request and response bodies of tariffs and exchange rates."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.bounds import PositiveFraction, PositiveRate
from service.identifiers import Country, Currency
from service.rights import RightType


# "rate per started minute, only when the recording is longer than over_seconds".
class PerMinute(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rate": "0.0239", "over_seconds": 300}]}
    )
    rate: PositiveRate
    over_seconds: Annotated[int, Field(ge=0)] = 0


# What an admin sends to add a tariff; the greatest present component applies.
class TariffCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "territory": "US",
                    "right_type": "mechanical",
                    "currency": "USD",
                    "valid_from": "2024-01-01",
                    "valid_to": None,
                    "percent_of_gross": None,
                    "per_unit": "0.124",
                    "per_minute": {"rate": "0.0239", "over_seconds": 300},
                }
            ]
        },
    )
    territory: Country
    right_type: RightType
    currency: Currency
    valid_from: dt.date
    valid_to: dt.date | None = None
    percent_of_gross: PositiveFraction | None = None
    per_unit: PositiveRate | None = None
    per_minute: PerMinute | None = None

    @model_validator(mode="after")
    def _coherent(self) -> "TariffCreate":
        if self.percent_of_gross is None and self.per_unit is None and self.per_minute is None:
            raise ValueError("a tariff needs percent_of_gross, per_unit or per_minute")
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from (ranges are half-open)")
        return self


# A tariff as read back.
class TariffPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "territory": "US",
                    "right_type": "mechanical",
                    "currency": "USD",
                    "valid_from": "2024-01-01",
                    "valid_to": None,
                    "percent_of_gross": None,
                    "per_unit": "0.124",
                    "per_minute": {"rate": "0.0239", "over_seconds": 300},
                }
            ]
        }
    )
    id: int
    territory: str
    right_type: RightType
    currency: str
    valid_from: dt.date
    valid_to: dt.date | None
    percent_of_gross: Decimal | None
    per_unit: Decimal | None
    per_minute: PerMinute | None


# What an admin sends to record an exchange rate.
class FxRateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"date": "2006-10-31", "from": "USD", "to": "RUB", "rate": "26.7"}]
        },
    )
    date: dt.date
    from_currency: Annotated[Currency, Field(alias="from")]
    to_currency: Annotated[Currency, Field(alias="to")]
    rate: PositiveRate

    @model_validator(mode="after")
    def _distinct(self) -> "FxRateCreate":
        if self.from_currency == self.to_currency:
            raise ValueError("from and to must differ")
        return self


# An exchange rate as read back (`inverse` derived).
class FxRatePublic(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        serialize_by_alias=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "date": "2006-10-31",
                    "from": "USD",
                    "to": "RUB",
                    "rate": "26.7",
                    "inverse": "0.037453183521",
                }
            ]
        },
    )
    id: int
    date: dt.date
    from_currency: str = Field(alias="from")
    to_currency: str = Field(alias="to")
    rate: Decimal
    inverse: Decimal

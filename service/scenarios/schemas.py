"""Request and response bodies of scenarios."""

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.bounds import PERIOD_PATTERN, PositiveFraction, PositiveRate
from service.identifiers import Country
from service.rights import RightType
from service.tariffs.schemas import PerMinute

Period = Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2006-11"])]
MAX_MONTHS = 12


class TerritoryRule(StrEnum):
    buyer = "buyer"  # today's rule: the buyer's territory prices, routes and splits
    store_licence = "store_licence"  # as if sold where the store is licensed


# A tariff a negotiation proposes: the terms of POST /v1/tariffs, in force throughout.
class TariffOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    territory: Country
    right_type: RightType
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
    percent_of_gross: PositiveFraction | None = None
    per_unit: PositiveRate | None = None
    per_minute: PerMinute | None = None

    @model_validator(mode="after")
    def _coherent(self) -> "TariffOverride":
        if self.percent_of_gross is None and self.per_unit is None and self.per_minute is None:
            raise ValueError("a tariff needs percent_of_gross, per_unit or per_minute")
        return self


_EXAMPLE: dict[str, Any] = {
    "period_from": "2006-11",
    "period_to": "2006-11",
    "store": "allofmp3",
    "territory": "store_licence",
    "tariffs": [],
    "catalogue_date": None,
}


# What an admin sends: which months (and store), and the rules to price them by.
class ScenarioCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})
    period_from: Period
    period_to: Period | None = Field(default=None, description="Default: `period_from`.")
    store: Annotated[str | None, Field(max_length=64, examples=["allofmp3"])] = None
    territory: TerritoryRule = TerritoryRule.buyer
    tariffs: Annotated[list[TariffOverride], Field(max_length=50)] = []
    catalogue_date: dt.date | None = Field(
        default=None,
        description="Take shares and mandates as of this date; null: as of each sale's date.",
    )

    @model_validator(mode="after")
    def _months(self) -> "ScenarioCreate":
        self.period_to = self.period_to or self.period_from
        if self.period_to < self.period_from:
            raise ValueError("period_to must not be before period_from")
        first, last = (tuple(map(int, p.split("-"))) for p in (self.period_from, self.period_to))
        if (last[0] - first[0]) * 12 + last[1] - first[1] >= MAX_MONTHS:
            raise ValueError(f"a scenario covers at most {MAX_MONTHS} months")
        seen = {(o.territory, o.right_type) for o in self.tariffs}
        if len(seen) != len(self.tariffs):
            raise ValueError("one tariff override per territory and right type")
        return self


# Books beside scenario for one line (per party, or per territory and right type).
class Comparison(BaseModel):
    currency: str
    books: Decimal
    scenario: Decimal
    difference: Decimal = Field(description="scenario minus books")


class PartyComparison(Comparison):
    party: str = Field(examples=["society:ROMS"])


class TerritoryComparison(Comparison):
    party: str
    territory: str = Field(description="The buyer's territory.")
    right_type: str | None = Field(description="null: the store's side (what it owes in all).")
    holder_id: str | None


# Sales the scenario leaves unpaid: unlicensed where it prices them, or held in suspense.
class ExceptionPublic(BaseModel):
    reason: str = Field(
        examples=["unlicensed"],
        description="`unlicensed` (no tariff where the scenario prices the sale), "
        "`store_without_licence`, or a suspense reason (`unknown_work`, …).",
    )
    territory: str
    priced_in: str | None
    currency: str
    sales: int
    units: int
    amount: Decimal = Field(description="Held in suspense (0 when unlicensed).")


class ScenarioPublic(BaseModel):
    id: str
    created_at: dt.datetime
    period_from: str
    period_to: str
    store: str | None
    territory: TerritoryRule
    tariffs: list[TariffOverride]
    catalogue_date: dt.date | None
    sales: int | None = Field(description="Sale rows re-priced (a store's volume: admins only).")
    groups: int | None = Field(
        description="Distinct priced inputs among them, each priced once (admins only)."
    )
    ledger_sequence: int = Field(description="The books compared: the ledger up to here.")
    differs_from_books: bool = Field(
        description="Whether any row the caller sees differs from the books. With "
        "`territory=buyer` and no overrides this is false: the engine reproduces the books."
    )
    parties: list[PartyComparison]
    lines: list[TerritoryComparison]
    exceptions: list[ExceptionPublic]

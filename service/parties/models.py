"""Tables of the parties domain: societies, stores, rights holders, mandates, API keys."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import ExactDecimal
from service.timeutil import UTCDateTime, utcnow


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"nullable": False})


# Shared columns of a collecting society.
class SocietyBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2, index=True)
    currency: str = Field(max_length=3)
    commission_rate: Decimal = Field(sa_type=ExactDecimal)
    extended_collective_licensing: bool = False
    payout_threshold: Decimal | None = Field(default=None, sa_type=ExactDecimal)


# A collecting society (ROMS, FAIR, HFA, ...): what it administers and on what terms.
class Society(SocietyBase, table=True):
    right_types: list[str] = _json_list()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Shared columns of a store (a download shop that posts sales).
class StoreBase(SQLModel):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)


# A store backend that posts sales and reads takedowns.
class Store(StoreBase, table=True):
    webhook_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Shared columns of a rights holder.
class RightsHolderBase(SQLModel):
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    ipi: str | None = Field(default=None, max_length=11, unique=True)
    isni: str | None = Field(default=None, max_length=16, unique=True)
    currency: str = Field(default="USD", max_length=3)


# An author, publisher, label or performer owed royalties.
class RightsHolder(RightsHolderBase, table=True):
    __tablename__ = "rights_holder"
    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# A holder's instruction that a society administers one right type in some territories.
class Mandate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    holder_id: str = Field(foreign_key="rights_holder.id", index=True, max_length=32)
    society_code: str = Field(foreign_key="society.code", index=True, max_length=32)
    right_type: str = Field(max_length=16)
    territories: list[str] = _json_list()
    valid_from: date
    valid_to: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# A bearer credential; only the SHA-256 of the token is kept.
class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    id: str = Field(primary_key=True, max_length=32)
    role: str = Field(max_length=16)
    subject: str | None = Field(default=None, max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

"""Tables of the parties domain: societies, stores, rights holders, mandates.

API keys live in ``service.auth.models``.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import ExactDecimal
from service.timeutil import UTCDateTime, utcnow


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"nullable": False})


# A collecting society (ROMS, FAIR, HFA, ...): what it administers and on what terms.
class Society(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2, index=True)
    currency: str = Field(max_length=3)
    commission_rate: Decimal = Field(sa_type=ExactDecimal)
    extended_collective_licensing: bool = False
    payout_threshold: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    right_types: list[str] = _json_list()
    # DDEX identity in DSR files: HEAD RecipientPartyId / RecipientName and the file name.
    dpid: str | None = Field(default=None, max_length=18)
    dsr_name: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# A store backend (a download shop) that posts sales and reads takedowns.
class Store(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    webhook_url: str | None = Field(default=None, max_length=2000)
    # The Standard Webhooks signing key (`whsec_…`). Kept in clear, not hashed: signing
    # needs the key itself. Shown once (creation, rotation), never in a read.
    webhook_secret: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The store's own licence: the territory whose law it says its sales fall under and the
    # society that licensed it (AllofMP3: RU, ROMS). Set by an admin; both or neither. Only
    # scenarios read it (``territory=store_licence``); the books price by the buyer.
    licence_territory: str | None = Field(default=None, max_length=2)
    licence_society: str | None = Field(default=None, foreign_key="society.code", max_length=32)


# An author, publisher, label or performer owed royalties.
class RightsHolder(SQLModel, table=True):
    __tablename__ = "rights_holder"
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    ipi: str | None = Field(default=None, max_length=11, unique=True)
    isni: str | None = Field(default=None, max_length=16, unique=True)
    currency: str = Field(default="USD", max_length=3)
    id: str = Field(primary_key=True, max_length=32)
    dpid: str | None = Field(default=None, max_length=18)
    dsr_name: str = Field(max_length=64)
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


# A holder's society for one right type as a CWR registration states it: the society's
# CISAC number (e.g. 021 BMI), which need not be a society the ledger pays.
class SocietyAffiliation(SQLModel, table=True):
    __tablename__ = "society_affiliation"
    holder_id: str = Field(foreign_key="rights_holder.id", primary_key=True, max_length=32)
    right_type: str = Field(primary_key=True, max_length=16)
    society_number: str = Field(max_length=3)

"""Tables of the catalog: works, recordings and effective-dated share versions."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.money import ExactDecimal
from service.timeutil import UTCDateTime, utcnow

# The first share version of an asset applies "from the beginning of time".
BEGINNING = date(1, 1, 1)


# A musical work (composition + lyrics), identified by its ISWC.
class Work(SQLModel, table=True):
    iswc: str = Field(primary_key=True, max_length=15)
    title: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# A sound recording (master), identified by its ISRC; may be linked to its work later.
class Recording(SQLModel, table=True):
    isrc: str = Field(primary_key=True, max_length=12)
    title: str = Field(max_length=300)
    artist: str = Field(max_length=300)
    duration_s: int | None = None
    iswc: str | None = Field(default=None, foreign_key="work.iswc", index=True, max_length=15)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# One effective-dated set of shares of a work or recording.
class ShareVersion(SQLModel, table=True):
    __tablename__ = "share_version"
    __table_args__ = (sa.UniqueConstraint("asset_kind", "asset_id", "valid_from"),)
    id: int | None = Field(default=None, primary_key=True)
    asset_kind: str = Field(max_length=9)  # "work" | "recording"
    asset_id: str = Field(max_length=15, index=True)
    valid_from: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# One holder's fraction of one right type in one territory, within a version.
class Share(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("version_id", "right_type", "territory", "holder_id"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="share_version.id", index=True)
    holder_id: str = Field(foreign_key="rights_holder.id", index=True, max_length=32)
    right_type: str = Field(max_length=16)
    territory: str = Field(max_length=5)
    share: Decimal = Field(sa_type=ExactDecimal)


# Another title a work is known by (CWR ALT records), with its CWR title type (AT, TE, ...).
class WorkTitle(SQLModel, table=True):
    __tablename__ = "work_title"
    __table_args__ = (sa.UniqueConstraint("iswc", "title", "title_type"),)
    id: int | None = Field(default=None, primary_key=True)
    iswc: str = Field(foreign_key="work.iswc", index=True, max_length=15)
    title: str = Field(max_length=300)
    title_type: str = Field(max_length=2)

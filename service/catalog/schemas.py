"""Request and response bodies of the catalog."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.bounds import PositiveFraction
from service.identifiers import ISRC, ISWC, Territory
from service.rights import RightType

# Examples shared by the request and response schemas below (OpenAPI only).
_SHARE: dict[str, Any] = {
    "holder_id": "5f0c7c1e2b8e4f6f9a3d2c1b0a987654",
    "right_type": "mechanical",
    "share": "0.5",
    "territory": "WORLD",
}
_RECORDING_SHARE: dict[str, Any] = {
    "holder_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "right_type": "neighbouring",
    "share": "1",
    "territory": "WORLD",
}
_UNCLAIMED: dict[str, Any] = {"right_type": "mechanical", "territory": "WORLD", "share": "0.5"}
_VERSION: dict[str, Any] = {"valid_from": None, "shares": [_SHARE], "unclaimed": [_UNCLAIMED]}
_WORK: dict[str, Any] = {"iswc": "T-034.524.680-1", "title": "Kalinka"}
_RECORDING: dict[str, Any] = {
    "isrc": "RUA010600001",
    "title": "Kalinka",
    "artist": "Soyuz Ensemble",
    "duration_s": 245,
    "iswc": "T-034.524.680-1",
}


# One holder's share as sent by an admin.
class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holder_id: Annotated[str, Field(min_length=1, max_length=32)]
    right_type: RightType
    share: Annotated[PositiveFraction, Field(examples=["0.5"])]
    territory: Territory = "WORLD"


# A share as read back.
class SharePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SHARE]})
    holder_id: str
    right_type: RightType
    share: Decimal
    territory: str


# The part of a right type in a territory that no holder claims (held in suspense).
class Unclaimed(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_UNCLAIMED]})
    right_type: RightType
    territory: str
    share: Decimal


# One effective-dated version of an asset's shares.
class ShareVersionPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_VERSION]})
    valid_from: Annotated[date | None, Field(description="null: from the beginning of time")]
    shares: list[SharePublic]
    unclaimed: list[Unclaimed]


# A new share version, effective from `valid_from` (PUT .../shares).
class SharesPut(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"valid_from": "2007-01-01", "shares": [{**_SHARE, "share": "1"}]}]
        },
    )
    valid_from: date
    shares: list[ShareIn]


# What an admin sends to register a work.
class WorkCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{**_WORK, "shares": [_SHARE]}]}
    )
    iswc: ISWC
    title: Annotated[str, Field(min_length=1, max_length=300)]
    shares: list[ShareIn] = []


# A work with its share versions, newest last.
class WorkPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_WORK,
                    "shares": [_SHARE],
                    "unclaimed": [_UNCLAIMED],
                    "share_versions": [_VERSION],
                }
            ]
        }
    )
    iswc: str
    title: str
    shares: list[SharePublic] = Field(description="The version in force today.")
    unclaimed: list[Unclaimed]
    share_versions: list[ShareVersionPublic]
    alternative_titles: list[str] = Field(
        default_factory=list, description="Other titles (CWR ALT records), sorted."
    )


# What an admin sends to register a recording.
class RecordingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{**_RECORDING, "shares": [_RECORDING_SHARE]}]},
    )
    isrc: ISRC
    title: Annotated[str, Field(min_length=1, max_length=300)]
    artist: Annotated[str, Field(min_length=1, max_length=300)]
    duration_s: Annotated[int | None, Field(gt=0, le=86_400, examples=[245])] = None
    iswc: ISWC | None = None
    shares: list[ShareIn] = []


# A partial update of a recording (e.g. linking its work later).
class RecordingUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"iswc": "T-034.524.680-1"}]}
    )
    iswc: ISWC | None = None
    title: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    artist: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    duration_s: Annotated[int | None, Field(gt=0, le=86_400)] = None

    @field_validator("title", "artist")
    @classmethod
    def _not_null(cls, value: str | None) -> str | None:
        # Runs only for values sent: omitted means "unchanged", null would erase a name
        # every recording must have.
        if value is None:
            raise ValueError("may be omitted, not null")
        return value


# A recording with its share versions.
class RecordingPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_RECORDING,
                    "shares": [_RECORDING_SHARE],
                    "unclaimed": [],
                    "share_versions": [
                        {"valid_from": None, "shares": [_RECORDING_SHARE], "unclaimed": []}
                    ],
                }
            ]
        }
    )
    isrc: str
    title: str
    artist: str
    duration_s: int | None
    iswc: str | None
    shares: list[SharePublic]
    unclaimed: list[Unclaimed]
    share_versions: list[ShareVersionPublic]

"""Request and response bodies of the parties domain."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from service.bounds import Fraction, NonNegativeRate
from service.identifiers import DPID, IPI, ISNI, Country, Currency, DsrName, Territory
from service.parties import webhook_url
from service.rights import HolderKind, RightType

# Examples shared by the request and response schemas below (OpenAPI only).
_HOLDER_ID = "5f0c7c1e2b8e4f6f9a3d2c1b0a987654"
_SOCIETY: dict[str, Any] = {
    "code": "ROMS",
    "name": "Russian Organisation for Multimedia and Digital Networks",
    "country": "RU",
    "currency": "RUB",
    "right_types": ["mechanical", "performance"],
    "commission_rate": "0.15",
    "extended_collective_licensing": True,
    "payout_threshold": None,
    "dpid": "PADPIDA2011072101T",
    "dsr_name": "ROMS",
}
_STORE: dict[str, Any] = {
    "code": "allofmp3",
    "name": "AllofMP3",
    "country": "RU",
    "webhook_url": None,
    "licence": {"territory": "RU", "society_code": "ROMS"},
}
_HOLDER: dict[str, Any] = {
    "name": "Kalinka Music Publishing",
    "kind": "publisher",
    "ipi": "00033188001",
    "isni": None,
    "currency": "USD",
    "dpid": None,
    "dsr_name": "KalinkaMusic",
}
_MANDATE: dict[str, Any] = {
    "holder_id": _HOLDER_ID,
    "society_code": "ROMS",
    "right_type": "mechanical",
    "territories": ["RU"],
    "valid_from": "2006-01-01",
    "valid_to": None,
}

Rate = Annotated[Fraction, Field(examples=["0.15"])]


# A party's DDEX identity in DSR files, as admins set it.
class DsrIdentityIn(BaseModel):
    dpid: Annotated[
        DPID | None, Field(description="DDEX Party ID: HEAD RecipientPartyId in DSR files.")
    ] = None
    dsr_name: Annotated[
        DsrName | None,
        Field(description="Name in DSR files (HEAD RecipientName, file name); no spaces."),
    ] = None


# What an admin sends to register a society.
class SocietyCreate(DsrIdentityIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SOCIETY]})
    code: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$", examples=["ROMS"])]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    country: Country
    currency: Currency
    right_types: Annotated[list[RightType], Field(min_length=1)]
    commission_rate: Rate
    extended_collective_licensing: bool = False
    payout_threshold: NonNegativeRate | None = None

    @model_validator(mode="after")
    def _unique_right_types(self) -> "SocietyCreate":
        self.right_types = sorted(set(self.right_types))
        return self


# A society as every authenticated caller reads it.
class SocietyPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SOCIETY]})
    code: str
    name: str
    country: str
    currency: str
    right_types: list[RightType]
    commission_rate: Decimal
    extended_collective_licensing: bool
    payout_threshold: Decimal | None
    dpid: str | None
    dsr_name: str


def _webhook_url(url: str | None) -> str | None:
    """The URL's own rules (``parties.webhook_url``); its address is the service's check."""
    if url is not None and (why := webhook_url.syntax_problem(url)) is not None:
        raise ValueError(why)
    return url


# The territory and society of a store's licence (AllofMP3: licensed in Russia by ROMS).
class StoreLicence(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"territory": "RU", "society_code": "ROMS"}]},
    )
    territory: Country
    society_code: Annotated[str, Field(min_length=1, max_length=32, examples=["ROMS"])]


# What an admin sends to register a store.
class StoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_STORE]})
    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$", examples=["allofmp3"])]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    country: Country
    webhook_url: Annotated[str | None, Field(max_length=2000), AfterValidator(_webhook_url)] = None
    licence: StoreLicence | None = None


# A store as admins and the store itself read it.
class StorePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_STORE]})
    code: str
    name: str
    country: str
    webhook_url: str | None
    licence: StoreLicence | None = Field(
        default=None,
        description="Where the store is licensed and by which society; null: not recorded. "
        "Scenarios with `territory=store_licence` price its sales there.",
    )

    @model_validator(mode="before")
    @classmethod
    def _licence_of_row(cls, data: Any) -> Any:
        # A stored row keeps the licence in two columns; the API shows one object.
        territory = getattr(data, "licence_territory", None)
        if territory is not None and not isinstance(data, dict):
            fields = {name: getattr(data, name) for name in cls.model_fields if name != "licence"}
            licence = {"territory": territory, "society_code": data.licence_society}
            return {**fields, "licence": licence}
        return data


# The answer to a store's creation and to a rotation: the only time the secret is shown.
class StoreCreated(StorePublic):
    webhook_secret: str = Field(
        description="Standard Webhooks signing secret (`whsec_` + base64); shown only now. "
        "Verify each webhook's `webhook-signature` with it.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


# What an admin sends to register a rights holder.
class RightsHolderCreate(DsrIdentityIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_HOLDER]})
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: HolderKind
    ipi: IPI | None = None
    isni: ISNI | None = None
    currency: Currency = "USD"


# A rights holder as admins and the holder itself read it.
class RightsHolderPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": _HOLDER_ID, **_HOLDER}]})
    id: str
    name: str
    kind: HolderKind
    ipi: str | None
    isni: str | None
    currency: str
    dpid: str | None
    dsr_name: str


# What an admin sends to record a holder's mandate with a society.
class MandateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_MANDATE]})
    holder_id: Annotated[str, Field(min_length=1, max_length=32)]
    society_code: Annotated[str, Field(min_length=1, max_length=32)]
    right_type: RightType
    territories: Annotated[list[Territory], Field(min_length=1)]
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "MandateCreate":
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from (ranges are half-open)")
        self.territories = sorted(set(self.territories))
        return self


# A mandate as admins, the holder and the society read it.
class MandatePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 1, **_MANDATE}]})
    id: int
    holder_id: str
    society_code: str
    right_type: RightType
    territories: list[str]
    valid_from: date
    valid_to: date | None

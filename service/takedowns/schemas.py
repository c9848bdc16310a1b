"""Request and response bodies of the takedowns domain."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from service.bounds import Timestamp
from service.identifiers import ISRC, ISWC, WORLD, Territory
from service.takedowns.models import TakedownView


class TakedownStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    lifted = "lifted"


# What the proof of ownership is; the document itself stays with the claimant, the
# ledger keeps its reference and fingerprint so it can be matched later.
class EvidenceKind(StrEnum):
    contract = "contract"
    registration = "registration"
    court_order = "court_order"
    declaration = "declaration"
    other = "other"


Reason = Annotated[str, Field(min_length=1, max_length=2000)]
# Any offset is accepted and kept as UTC; a timestamp without one is ambiguous (422).
Instant = Annotated[Timestamp, AfterValidator(lambda moment: moment.astimezone(UTC))]


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: EvidenceKind
    reference: Annotated[
        str,
        Field(min_length=1, max_length=500, examples=["Publishing agreement 2004-17, clause 3"]),
    ]
    sha256: Annotated[
        str,
        Field(
            pattern=r"^[0-9a-fA-F]{64}$",
            description="SHA-256 of the document, 64 hex digits (stored lower-case).",
        ),
    ]

    @field_validator("sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


_EXAMPLE_SHA256 = (
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
)


# `POST /v1/takedowns`: exactly one of `isrc` (one recording) or `iswc` (the work and so
# every recording of it).
class TakedownCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "isrc": "RUA010600001",
                    "territories": ["US"],
                    "claimant_holder_id": "5f0c7c1e2b8e4f6f9a3d2c1b0a987654",
                    "evidence": {
                        "kind": "contract",
                        "reference": "Master licence 2004-17, clause 3",
                        "sha256": _EXAMPLE_SHA256[0],
                    },
                },
                {
                    "iswc": "T-034.524.680-1",
                    "territories": ["WORLD"],
                    "claimant_holder_id": "5f0c7c1e2b8e4f6f9a3d2c1b0a987654",
                    "evidence": {
                        "kind": "registration",
                        "reference": "Society work registration 12345",
                        "sha256": _EXAMPLE_SHA256[1],
                    },
                },
            ]
        },
    )
    isrc: ISRC | None = None
    iswc: Annotated[ISWC | None, Field(validate_default=True)] = None
    territories: Annotated[
        list[Territory],
        Field(min_length=1, max_length=300, description='Country codes, or ["WORLD"] alone.'),
    ]
    claimant_holder_id: Annotated[str, Field(min_length=1, max_length=32)]
    evidence: Evidence

    @field_validator("iswc")
    @classmethod
    def _one_asset(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "isrc" not in info.data:  # the ISRC itself failed; that error says enough
            return value
        if (info.data["isrc"] is None) == (value is None):
            raise ValueError("name exactly one asset: isrc (a recording) or iswc (a work)")
        return value

    @field_validator("territories")
    @classmethod
    def _world_alone(cls, value: list[str]) -> list[str]:
        unique = sorted(set(value))
        if WORLD in unique and len(unique) > 1:
            raise ValueError("WORLD already covers every territory; send it alone")
        return unique


# `POST /v1/takedowns/{id}/decision` (admin).
class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "approve": True,
                    "effective_at": "2006-11-01T00:00:00Z",
                    "reason": "Licence checked",
                },
                {"approve": False, "reason": "The contract names another label"},
            ]
        },
    )
    approve: StrictBool
    effective_at: Annotated[
        Instant | None,
        Field(description="When sales stop (approval only); default: the decision time."),
    ] = None
    reason: Annotated[
        Reason | None, Field(description="Required to reject; optional to approve.")
    ] = None


# `POST /v1/takedowns/{id}/lift` (admin).
class LiftIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"effective_at": "2007-01-01T00:00:00Z", "reason": "Licence agreed"}]
        },
    )
    effective_at: Annotated[
        Instant | None,
        Field(description="Sales dated from this instant are accepted again; default: now."),
    ] = None
    reason: Reason


# Evidence of ownership as read back.
class EvidencePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "contract",
                    "reference": "Publishing agreement 2004-117, clause 3",
                    "sha256": _EXAMPLE_SHA256[0],
                }
            ]
        }
    )

    kind: str
    reference: str
    sha256: str


# One entry of a takedown's history.
class TakedownEventPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "approved",
                    "status": "approved",
                    "at": "2006-11-21T12:00:00Z",
                    "actor": "admin-token",
                    "actor_role": "admin",
                    "effective_at": "2006-11-22T00:00:00Z",
                    "reason": "Contract verified",
                    "evidence": None,
                }
            ]
        }
    )

    action: str = Field(description="requested | approved | rejected | lifted")
    status: TakedownStatus = Field(description="The status after this change.")
    at: datetime = Field(description="When the change was recorded.")
    actor: str = Field(description='The API key id that made it, or "admin-token".')
    actor_role: str
    effective_at: datetime | None
    reason: str | None
    evidence: dict[str, Any] | None


# A takedown request with its current status and full history.
class TakedownPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0190b7a2c4e87f1a9d3b5c6d7e8f9a0b",
                    "status": "approved",
                    "isrc": "RUA010600001",
                    "iswc": None,
                    "isrcs": ["RUA010600001"],
                    "territories": ["US"],
                    "claimant_holder_id": "5f0c7c1e2b8e4f6f9a3d2c1b0a987654",
                    "evidence": {
                        "kind": "contract",
                        "reference": "Publishing agreement 2004-117, clause 3",
                        "sha256": _EXAMPLE_SHA256[0],
                    },
                    "requested_at": "2006-11-20T09:00:00Z",
                    "decided_at": "2006-11-21T12:00:00Z",
                    "effective_at": "2006-11-22T00:00:00Z",
                    "lift_effective_at": None,
                    "history": [
                        {
                            "action": "requested",
                            "status": "pending",
                            "at": "2006-11-20T09:00:00Z",
                            "actor": "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6",
                            "actor_role": "rights_holder",
                            "effective_at": None,
                            "reason": None,
                            "evidence": {
                                "kind": "contract",
                                "reference": "Publishing agreement 2004-117, clause 3",
                                "sha256": _EXAMPLE_SHA256[0],
                            },
                        },
                        {
                            "action": "approved",
                            "status": "approved",
                            "at": "2006-11-21T12:00:00Z",
                            "actor": "admin-token",
                            "actor_role": "admin",
                            "effective_at": "2006-11-22T00:00:00Z",
                            "reason": "Contract verified",
                            "evidence": None,
                        },
                    ],
                }
            ]
        }
    )

    id: str
    status: TakedownStatus
    isrc: str | None
    iswc: str | None
    isrcs: list[str] = Field(
        description="Recordings covered today: the ISRC itself, or every recording of the work."
    )
    territories: list[str]
    claimant_holder_id: str
    evidence: EvidencePublic
    requested_at: datetime
    decided_at: datetime | None
    effective_at: datetime | None = Field(description="Sales dated from this instant are refused.")
    lift_effective_at: datetime | None = Field(
        description="Sales dated from this instant are accepted again."
    )
    history: list[TakedownEventPublic]


# What a store needs to act on a decision: no evidence, no history, no actors' key ids.
class TakedownWebhookData(BaseModel):
    takedown_id: str
    action: Literal["approved", "lifted"]
    status: TakedownStatus
    isrc: str | None = Field(description="The recording taken down, or null for a work")
    iswc: str | None = Field(description="The work taken down, or null for a recording")
    isrcs: list[str] = Field(description="Every recording to stop (or resume) selling")
    territories: list[str] = Field(description="ISO 3166-1 alpha-2 codes, or WORLD")
    effective_at: datetime | None = Field(description="Sales dated from this instant are refused")
    lift_effective_at: datetime | None = Field(
        description="Sales dated from this instant are accepted again (lifts)"
    )


# The JSON body of a takedown webhook, in the Standard Webhooks shape (type, timestamp,
# data); signed with the store's secret (`webhook-id`, `webhook-timestamp`,
# `webhook-signature` headers).
class TakedownWebhook(BaseModel):
    type: Literal["takedown.approved", "takedown.lifted"]
    timestamp: datetime
    data: TakedownWebhookData


def takedown_public(view: TakedownView) -> TakedownPublic:
    """The public form of a takedown: what the routers answer."""
    t = view.takedown
    return TakedownPublic(
        id=t.id,
        status=TakedownStatus(t.status),
        isrc=t.isrc,
        iswc=t.iswc,
        isrcs=view.isrcs,
        territories=view.territories,
        claimant_holder_id=t.claimant_holder_id,
        evidence=EvidencePublic(
            kind=t.evidence_kind, reference=t.evidence_reference, sha256=t.evidence_sha256
        ),
        requested_at=t.requested_at,
        decided_at=t.decided_at,
        effective_at=t.effective_at,
        lift_effective_at=t.lift_effective_at,
        history=[TakedownEventPublic.model_validate(e, from_attributes=True) for e in view.history],
    )

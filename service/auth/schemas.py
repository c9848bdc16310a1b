"""Request and response bodies of the auth domain (API keys)."""

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from service.auth import scopes as scoping
from service.auth.models import ApiKey
from service.auth.scopes import Scope
from service.rights import Role

_SCOPES = (
    "Narrower than the role (docs/api-keys.md): `read` (every GET the role may make), "
    "`sales:write` (a store: post sales and refunds only), `statements:read` (a society or "
    "holder: its statements, payments and their evidence only). Absent or null: all the "
    "role allows."
)


# What an admin sends to issue a key.
class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"role": "store", "subject": "allofmp3"},
                {
                    "role": "store",
                    "subject": "allofmp3",
                    "scopes": ["sales:write"],
                    "expires_at": "2027-06-30T00:00:00Z",
                },
            ]
        },
    )
    role: Role
    subject: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=64,
            description="Store code, society code or holder id; none for admin.",
        ),
    ] = None
    expires_at: Annotated[
        AwareDatetime | None,
        Field(description="When the token stops working (UTC); null: never. In the future."),
    ] = None
    scopes: Annotated[list[Scope] | None, Field(min_length=1, description=_SCOPES)] = None


# An issued key; `token` is present only in the response that creates it.
class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9b1d0c2e3f4a5b6c7d8e9f0a1b2c3d4e",
                    "role": "store",
                    "subject": "allofmp3",
                    "token": "rl_Zx3...shown-once",
                    "revoked": False,
                    "scopes": ["sales:write"],
                    "expires_at": "2027-06-30T00:00:00Z",
                    "created_at": "2026-12-06T10:00:00Z",
                    "last_used_at": None,
                }
            ]
        }
    )
    id: str
    role: Role
    subject: str | None
    token: str | None = None
    revoked: bool = False
    scopes: list[Scope] | None = Field(default=None, description=_SCOPES)
    expires_at: datetime | None = None
    created_at: datetime | None = None
    last_used_at: datetime | None = Field(
        default=None, description="The latest use, to the minute; null: never used."
    )

    @classmethod
    def of(cls, key: ApiKey, *, token: str | None = None) -> "ApiKeyPublic":
        granted = scoping.decode(key.scopes)
        return cls(
            id=key.id,
            role=Role(key.role),
            subject=key.subject,
            token=token,
            revoked=key.revoked_at is not None,
            scopes=None if granted is None else sorted(granted),
            expires_at=key.expires_at,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        )

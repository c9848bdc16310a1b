"""Request and response bodies of the auth domain (API keys)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.rights import Role


# What an admin sends to issue a key.
class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "store", "subject": "allofmp3"}]}
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
                }
            ]
        }
    )
    id: str
    role: Role
    subject: str | None
    token: str | None = None
    revoked: bool = False

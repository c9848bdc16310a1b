"""Tables of the auth domain."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.timeutil import UTCDateTime, utcnow


# A bearer credential; only the SHA-256 of the token is kept.
class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    id: str = Field(primary_key=True, max_length=32)
    role: str = Field(max_length=16)
    subject: str | None = Field(default=None, max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

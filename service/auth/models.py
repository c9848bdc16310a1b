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
    # Optional limits (issue #26): after ``expires_at`` the token is refused; ``scopes``
    # (space-separated, ``auth.scopes``) narrow the role; NULL: no limit.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scopes: str | None = Field(default=None, max_length=200)
    # Written about once a minute by each process that saw the key used (``auth.usage``).
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

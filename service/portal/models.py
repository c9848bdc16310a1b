"""Tables of the portal domain."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.timeutil import UTCDateTime, utcnow


# A signed-in browser. Only the SHA-256 of the session id is kept (like API keys); the
# session dies with its key (``key_id``; NULL for the bootstrap admin token).
class PortalSession(SQLModel, table=True):
    __tablename__ = "portal_session"
    id_hash: str = Field(primary_key=True, max_length=64)
    key_id: str | None = Field(default=None, max_length=32, index=True)
    role: str = Field(max_length=16)
    subject: str | None = Field(default=None, max_length=64)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)

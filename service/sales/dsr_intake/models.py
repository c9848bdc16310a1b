"""The DSR messages a store has posted: one row per (store, sender, MessageId, file)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.sales.models import BIG_ID
from service.timeutil import UTCDateTime, utcnow


# A DSR file accepted for booking. Its SHA-256 tells a re-post of the same file (which
# books what an interrupted post left, and nothing twice) from another file reusing the
# MessageId (a conflict).
class DsrMessage(SQLModel, table=True):
    __tablename__ = "dsr_message"
    __table_args__ = (sa.UniqueConstraint("store_code", "sender", "message_id", "file_number"),)
    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    store_code: str = Field(foreign_key="store.code", max_length=64)
    sender: str = Field(max_length=255)
    message_id: str = Field(max_length=255)
    file_number: int
    sha256: str = Field(max_length=64)
    lines: int
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

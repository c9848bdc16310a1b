"""Tables of the takedowns domain: requests, their territories and their history."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.timeutil import UTCDateTime, utcnow

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
LIFTED = "lifted"
# Takedowns that withdraw (or once withdrew) sales: a lifted one still covers the sales
# dated between its effective_at and the lift's effective_at.
IN_EFFECT = (APPROVED, LIFTED)


# A rights holder's request to stop sales of a recording or a work; the row holds the
# current state, `takedown_event` the append-only story of how it got there.
class Takedown(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint("(isrc IS NULL) <> (iswc IS NULL)", name="one_asset"),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'lifted')", name="known_status"
        ),
    )
    id: str = Field(primary_key=True, max_length=32)
    isrc: str | None = Field(default=None, foreign_key="recording.isrc", index=True, max_length=12)
    iswc: str | None = Field(default=None, foreign_key="work.iswc", index=True, max_length=15)
    claimant_holder_id: str = Field(foreign_key="rights_holder.id", index=True, max_length=32)
    evidence_kind: str = Field(max_length=24)
    evidence_reference: str = Field(max_length=500)
    evidence_sha256: str = Field(max_length=64)
    status: str = Field(default=PENDING, max_length=16, index=True)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    effective_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lift_effective_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# One territory a takedown names (`WORLD` stands alone); a table rather than a JSON list
# so "which takedowns touch US" is plain, indexable SQL on both engines.
class TakedownTerritory(SQLModel, table=True):
    __tablename__ = "takedown_territory"
    takedown_id: str = Field(foreign_key="takedown.id", primary_key=True, max_length=32)
    territory: str = Field(primary_key=True, max_length=5, index=True)


# One state change: who (API key id or "admin-token"), in which role, when, what, why.
# Append-only: the migration installs triggers refusing UPDATE and DELETE.
class TakedownEvent(SQLModel, table=True):
    __tablename__ = "takedown_event"
    id: int | None = Field(default=None, primary_key=True)
    takedown_id: str = Field(foreign_key="takedown.id", index=True, max_length=32)
    action: str = Field(max_length=16)  # requested | approved | rejected | lifted
    status: str = Field(max_length=16)  # the takedown's status after this change
    actor: str = Field(max_length=32)
    actor_role: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    effective_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=2000)
    evidence: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


@dataclass(frozen=True, slots=True)
class TakedownView:
    """A takedown with what its public form shows besides the row (schemas map it)."""

    takedown: Takedown
    territories: list[str]
    isrcs: list[str]  # the recording, or every recording of the work
    history: list[TakedownEvent]


# A webhook to one store, written in the transaction of the decision or lift it announces
# (the transactional outbox) and delivered by `service.takedowns.worker`. `body` is the
# exact JSON sent, so every attempt carries the same bytes and the same `message_id`
# (`webhook-id`): a receiver drops duplicates by that id.
class WebhookOutbox(SQLModel, table=True):
    __tablename__ = "webhook_outbox"
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=64, unique=True)
    store_code: str = Field(foreign_key="store.code", index=True, max_length=64)
    event: str = Field(max_length=32)
    body: str = Field(sa_type=sa.Text)
    attempts: int = 0
    # Due from this instant; a worker that claims a row pushes it one lease ahead, so a
    # worker killed mid-delivery leaves it due again once the lease runs out.
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

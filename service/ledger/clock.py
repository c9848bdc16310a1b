"""The ledger's clock never runs backwards along the chain.

A posting is dated by its caller, often before it waits for the chain lock, and clocks
of several processes (or one stepped by NTP) disagree; so a transaction appended after
another could carry an earlier ``created_at``. Tree heads are dated by their last
transaction (``transparency.service``), so an earlier date further down the chain would
make a later head predate an earlier one (issue #24). Appending clamps each posting's
date to the one before it: along the sequence, ``created_at`` never decreases.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger.models import LedgerTransaction
from service.ledger.postings import PreparedPosting
from service.sql import table_of

_TRANSACTIONS = table_of(LedgerTransaction)


def booked_at(session: Session, sequence: int) -> datetime | None:
    """When transaction ``sequence`` was booked; None for the genesis (sequence 0). One
    primary-key probe, also for the genesis, so that an append costs the same number of
    statements whatever the chain holds."""
    return session.execute(
        sa.select(_TRANSACTIONS.c.created_at).where(_TRANSACTIONS.c.sequence == sequence)
    ).scalar_one_or_none()


def clamp_to_chain(
    session: Session, last_sequence: int, postings: Sequence[PreparedPosting]
) -> None:
    """Date every posting no earlier than the chain's last transaction, nor than the
    posting before it (called under the chain lock, before hashing)."""
    floor = booked_at(session, last_sequence)
    for posting in postings:
        if floor is not None and posting.created_at < floor:
            posting.created_at = floor
        floor = posting.created_at

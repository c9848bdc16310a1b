"""Which month an admin can close next (what the portal's close form offers first)."""

from datetime import datetime

from sqlmodel import Session

from service.ledger import periods
from service.statements import repository


def previous_month(now: datetime) -> str:
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def next_closable(*, session: Session, now: datetime) -> str:
    """The month a close would accept now: the earliest open month with entries that has
    ended (every later one would be refused until it closes), else the last month that
    has ended (closing it freezes the empty months before it)."""
    ended = previous_month(now)
    last = periods.latest_closed(session)
    current = now.strftime("%Y-%m")
    earliest = repository.earliest_period_with_entries(session, after=last, before=current)
    return earliest or ended

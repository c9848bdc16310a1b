"""Which month an entry is booked in (the statements domain owns periods).

A sale belongs to the month of its ``sold_at``, a refund to that of its ``refunded_at``, a
release to the original sale's month; when that month is closed the entry lands in the
oldest open month instead and is marked as an adjustment. Call with the ledger chain
lock held (``service.ledger.service.lock_chain``) so a concurrent close cannot slip
between the decision and the posting.

Months close in order, so every month up to the latest closed one is frozen (a month
skipped because it had no entries is frozen too: booking into it would put entries
behind a closed month), and the oldest open month is the one after the latest closed.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from service.statements.models import PeriodClose

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def first_day(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def last_day(period: str) -> date:
    return first_day(next_period(period)) - timedelta(days=1)


def month_end(period: str) -> datetime:
    """The first instant after the month (UTC): the month has ended once now reaches it."""
    start = first_day(next_period(period))
    return datetime(start.year, start.month, start.day, tzinfo=UTC)


def latest_closed(session: Session) -> str | None:
    return session.execute(sa.select(sa.func.max(PeriodClose.period))).scalar_one_or_none()


def booking_periods(*, session: Session, periods: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """Month ``YYYY-MM`` -> (month it is booked in, adjustment?). One query for all."""
    wanted = set(periods)
    if not wanted:
        return {}
    last = latest_closed(session)
    if last is None:
        return {period: (period, False) for period in wanted}
    open_month = next_period(last)
    return {period: (open_month, True) if period <= last else (period, False) for period in wanted}

"""Calendar months as statements see them (which month an entry is booked in is the
ledger's: ``service.ledger.periods``)."""

from datetime import UTC, date, datetime, timedelta

from service.bounds import PERIOD_PATTERN
from service.ledger.periods import next_period

__all__ = ["PERIOD_PATTERN"]


def first_day(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def last_day(period: str) -> date:
    return first_day(next_period(period)) - timedelta(days=1)


def month_end(period: str) -> datetime:
    """The first instant after the month (UTC): the month has ended once now reaches it."""
    start = first_day(next_period(period))
    return datetime(start.year, start.month, start.day, tzinfo=UTC)

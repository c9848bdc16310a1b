"""Calendar months as statements see them (which month an entry is booked in is the
ledger's: ``service.ledger.periods``)."""

from datetime import UTC, date, datetime, timedelta

from service.ledger.periods import next_period

PERIOD_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"  # no year 0: date() has none


def first_day(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def last_day(period: str) -> date:
    return first_day(next_period(period)) - timedelta(days=1)


def month_end(period: str) -> datetime:
    """The first instant after the month (UTC): the month has ended once now reaches it."""
    start = first_day(next_period(period))
    return datetime(start.year, start.month, start.day, tzinfo=UTC)

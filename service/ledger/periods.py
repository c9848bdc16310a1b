"""Booking months: which month an entry of the ledger is booked in.

A sale belongs to the month of its ``sold_at``, a refund to that of its ``refunded_at``, a
release to the original sale's month; when that month is closed the entry lands in the
oldest open month instead and is marked as an adjustment. The decision is only sound
with the chain's lock held (``service.ledger.service.lock_chain``), so a concurrent close
cannot slip between it and the posting: ``service.ledger.service.append`` makes it
itself, under the lock it holds.

Months close in order, so every month up to the latest closed one is frozen (a month
skipped because it had no entries is frozen too: booking into it would put entries
behind a closed month), and the oldest open month is the one after the latest closed.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session, col, select

from service.ledger import repository
from service.ledger.models import PeriodClose


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def latest_closed(session: Session) -> str | None:
    """The latest closed month, None while no month was ever closed."""
    return repository.latest_closed(session)


class Booking(NamedTuple):
    """Where the ledger books an entry: its month, and whether that is another month than
    its own (an adjustment, because its own was closed)."""

    period: str
    adjustment: bool


def booking_periods(*, session: Session, periods: Iterable[str]) -> dict[str, Booking]:
    """Month ``YYYY-MM`` -> where an entry of that month is booked. One query for all."""
    wanted = set(periods)
    if not wanted:
        return {}
    last = latest_closed(session)
    if last is None:
        return {period: Booking(period, False) for period in wanted}
    open_month = next_period(last)
    return {
        period: Booking(open_month, True) if period <= last else Booking(period, False)
        for period in wanted
    }


def closed_month(session: Session, period: str) -> PeriodClose | None:
    """The close of ``period``, None unless that month itself was closed."""
    return session.get(PeriodClose, period)


def first_close_after(session: Session, period: str) -> PeriodClose | None:
    """The earliest close of a month after ``period`` (the one that froze a skipped month)."""
    query = select(PeriodClose).where(PeriodClose.period > period)
    return session.exec(query.order_by(col(PeriodClose.period)).limit(1)).first()


def record_close(
    session: Session,
    *,
    period: str,
    closed_at: datetime,
    head: tuple[int, str],
    statement_count: int,
    fx_transactions: int,
) -> None:
    """Mark ``period`` closed at the chain's ``head`` (sequence, hash); the caller holds the
    chain's lock. The primary key on period is the last word on "closed once"."""
    sequence, hash_ = head
    session.add(
        PeriodClose(
            period=period,
            closed_at=closed_at,
            ledger_sequence=sequence,
            ledger_hash=hash_,
            statement_count=statement_count,
            fx_transactions=fx_transactions,
        )
    )
    session.flush()

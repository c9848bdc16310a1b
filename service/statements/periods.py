"""Which month an entry is booked in (the statements domain owns periods).

A sale belongs to the month of its ``sold_at``, a refund to that of its ``refunded_at``, a
release to the original sale's month; when that month is closed the entry lands in the
oldest open month instead and is marked as an adjustment. Call with the ledger chain
lock held (``service.ledger.service.lock_chain``) so a concurrent close cannot slip
between the decision and the posting.
"""

from collections.abc import Iterable

from sqlmodel import Session


def booking_periods(*, session: Session, periods: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """Month ``YYYY-MM`` -> (month it is booked in, adjustment?). One query for all.

    Placeholder until periods can be closed: every month is open.
    """
    return {period: (period, False) for period in set(periods)}

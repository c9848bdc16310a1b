"""When a signed tree head may be dated: never before what it covers, never before a head
of a smaller tree (issue #24: tree-head timestamps never decrease).

A head is signed at whole seconds (RFC 9162 wants milliseconds; ours are whole seconds,
``stamp``), so a moment is rounded *up*: rounding down dated a head before its own last
transaction. A head of ``size`` leaves is dated no earlier than its last transaction
(``ledger.clock`` keeps those non-decreasing along the chain) nor than any head a close
stored for a tree of at most that size. The on-demand head of a size is computed from
the stored rows only, so it stays byte-identical on every request.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger import clock
from service.sql import table_of
from service.transparency.models import SignedTreeHead

# The tree head of an empty ledger is dated at the epoch: no transaction dates it.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEADS = table_of(SignedTreeHead)


def whole_second_up(moment: datetime) -> datetime:
    """``moment`` in UTC, rounded up to the next whole second (unchanged if whole)."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def not_before(session: Session, size: int) -> datetime:
    """The earliest a head of ``size`` leaves may be dated (a whole second)."""
    last = clock.booked_at(session, size) or EPOCH
    # ORDER BY … LIMIT 1 rather than max(): it keeps the column's type (UTC on SQLite too).
    stored = session.execute(
        sa.select(_HEADS.c.timestamp)
        .where(_HEADS.c.tree_size <= size)
        .order_by(_HEADS.c.timestamp.desc())
        .limit(1)
    ).scalar_one_or_none()
    return whole_second_up(max(last, stored or EPOCH))

"""Sums over the statement lines a caller may read: what the portal's overview charts.

Every query here is filtered by ``access.readable_lines`` (the one access rule), so an
overview shows exactly the lines ``/v1/statements`` and ``/v1/royalties`` serve the same
caller.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.statements.access import LINES, STATEMENTS, lines_with_statements, readable_lines
from service.statements.models import Payment, Statement

# The line dimensions an overview sums by.
Dimension = Literal["territory", "right_type", "isrc", "iswc"]


@dataclass(frozen=True, slots=True)
class Amount:
    label: str
    currency: str
    value: Decimal


def _scoped(caller: Caller, *columns: Any) -> sa.Select[Any]:
    return sa.select(*columns).select_from(lines_with_statements()).where(readable_lines(caller))


def sums(
    *, session: Session, caller: Caller, by: Dimension, month: str | None, limit: int
) -> list[Amount]:
    """Royalty per ``by`` and currency, largest first (one month, or every month)."""
    key = LINES.c[by]
    total = sa.func.sum(LINES.c.royalty).label("total")
    query = _scoped(caller, key.label("k"), STATEMENTS.c.currency, total).where(key.is_not(None))
    if month is not None:
        query = query.where(STATEMENTS.c.period == month)
    rows = session.execute(
        query.group_by(key, STATEMENTS.c.currency).order_by(total.desc(), key).limit(limit)
    )
    return [Amount(str(r.k), r.currency, Decimal(r.total)) for r in rows]


def monthly(*, session: Session, caller: Caller, months: int = 12) -> list[Amount]:
    """Royalty per month and currency over the latest ``months`` with lines, oldest first."""
    periods = [
        p
        for (p,) in session.execute(
            _scoped(caller, STATEMENTS.c.period)
            .distinct()
            .order_by(STATEMENTS.c.period.desc())
            .limit(months)
        )
    ]
    if not periods:
        return []
    total = sa.func.sum(LINES.c.royalty)
    rows = session.execute(
        _scoped(caller, STATEMENTS.c.period, STATEMENTS.c.currency, total.label("total"))
        .where(STATEMENTS.c.period.in_(periods))
        .group_by(STATEMENTS.c.period, STATEMENTS.c.currency)
        .order_by(STATEMENTS.c.period, STATEMENTS.c.currency)
    )
    return [Amount(r.period, r.currency, Decimal(r.total)) for r in rows]


def latest_statement(*, session: Session, party: str) -> Statement | None:
    """The party's newest statement."""
    query = select(Statement).where(Statement.party == party)
    return session.exec(query.order_by(col(Statement.period).desc())).first()


def last_payment(*, session: Session, party: str) -> Payment | None:
    """The party's newest payment."""
    query = select(Payment).where(Payment.party == party)
    return session.exec(query.order_by(col(Payment.paid_at).desc())).first()

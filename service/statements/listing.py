"""The statements a caller may read, newest month first, a numbered page at a time
(what the portal's statement list shows; the API keeps its keyset cursor by id)."""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.statements.access import readable_statements
from service.statements.models import Statement

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class StatementPage:
    statements: Sequence[Statement]
    total: int
    page: int
    pages: int


def newest_first(
    *, session: Session, caller: Caller, period: str | None, page: int, size: int = PAGE_SIZE
) -> StatementPage:
    """Page ``page`` (from 1) of the readable statements, by month (newest first), then
    party; ``total`` counts them all."""
    where = [readable_statements(caller)]
    if period is not None:
        where.append(col(Statement.period) == period)
    total = int(
        session.execute(
            sa.select(sa.func.count()).select_from(Statement).where(*where)
        ).scalar_one()
    )
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.exec(
        select(Statement)
        .where(*where)
        .order_by(col(Statement.period).desc(), col(Statement.party), col(Statement.id))
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return StatementPage(statements=rows, total=total, page=page, pages=pages)

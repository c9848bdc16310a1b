"""A statement's lines as the JSON representation shows them, a keyset page at a time.

Rendered from rows frozen at close (Core rows: no ORM objects to build per line), so a
page is the same on every request.
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.sql import table_of
from service.statements.amounts import exact_product, fmt_exact, fmt_rate
from service.statements.models import Statement, StatementLine

LINES = table_of(StatementLine)


def line_values(line: Any, statement: Statement) -> dict[str, Any]:
    """A line as the API shows it; commission follows from the rate frozen at close."""
    commission = exact_product(line.royalty, statement.commission_rate)
    return {
        "isrc": line.isrc,
        "iswc": line.iswc,
        "territory": line.territory,
        "right_type": line.right_type,
        "holder_id": line.holder_id,
        "share": fmt_rate(line.share),
        "units": line.units,
        "gross_sales": fmt_exact(line.gross_sales),
        "royalty": fmt_exact(line.royalty),
        "commission": fmt_exact(commission),
        "net": fmt_exact(line.royalty - commission),
        "currency": statement.currency,
        "adjustment": line.adjustment,
        "non_member": line.non_member,
    }


def line_page(session: Session, statement_id: str, *, after: int, limit: int) -> list[Any]:
    """Lines after ``line_no`` ``after``, as rows (Core: no ORM objects to build per line)."""
    return list(
        session.execute(
            sa.select(LINES)
            .where(LINES.c.statement_id == statement_id, LINES.c.line_no > after)
            .order_by(LINES.c.line_no)
            .limit(limit)
        )
    )

"""A statement's lines as the portal pages them: filtered, sorted, numbered pages of the
lines the caller may read (``access.readable_lines``)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.auth.caller import Caller
from service.identifiers import normalize_isrc, normalize_iswc
from service.statements.access import lines_with_statements, readable_lines
from service.statements.amounts import exact_product
from service.statements.models import Statement
from service.statements.render.lines import LINES, line_values

SORTABLE = {
    "line": LINES.c.line_no,
    "isrc": LINES.c.isrc,
    "iswc": LINES.c.iswc,
    "territory": LINES.c.territory,
    "right_type": LINES.c.right_type,
    "units": LINES.c.units,
    "royalty": LINES.c.royalty,
}
PAGE_SIZES = (50, 100, 1000)


@dataclass(frozen=True, slots=True)
class LineFilter:
    isrc: str | None = None
    iswc: str | None = None
    territory: str | None = None
    right_type: str | None = None
    adjustment: bool | None = None
    sort: str = "line"
    descending: bool = False
    page: int = 1
    size: int = 100

    def where(self) -> list[sa.ColumnElement[bool]]:
        clauses = []
        if self.isrc:
            try:
                isrc = normalize_isrc(self.isrc)
            except ValueError:
                isrc = self.isrc.replace("-", "").upper()  # matches nothing: an empty page
            clauses.append(LINES.c.isrc == isrc)
        if self.iswc:
            clauses.append(LINES.c.iswc == _forgiving_iswc(self.iswc))
        if self.territory:
            clauses.append(LINES.c.territory == self.territory.strip().upper())
        if self.right_type:
            clauses.append(LINES.c.right_type == self.right_type)
        if self.adjustment is not None:
            clauses.append(LINES.c.adjustment == self.adjustment)
        return clauses


def _forgiving_iswc(typed: str) -> str:
    """An ISWC as people type it (``t0345246801``, ``T-034.524.680-1``, with spaces)
    in the stored dotted form; anything else as typed (it matches nothing)."""
    compact = "".join(typed.split()).upper()
    try:
        return normalize_iswc(compact)
    except ValueError:
        return compact


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over every line the filter matches (all pages), exact to the micro-unit."""

    units: int = 0
    royalty: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    net: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class LinePage:
    lines: list[dict[str, Any]]
    total: int
    pages: int
    totals: Totals = field(default_factory=Totals)


def lines_page(
    *, session: Session, caller: Caller, statement: Statement, flt: LineFilter
) -> LinePage:
    """One page of the lines of ``statement`` that ``caller`` may read."""
    where = [LINES.c.statement_id == statement.id, readable_lines(caller), *flt.where()]
    counted = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(LINES.c.units), 0),
            sa.func.coalesce(sa.func.sum(LINES.c.royalty), 0),
        )
        .select_from(lines_with_statements())
        .where(*where)
    ).one()
    total = int(counted[0])
    royalty = Decimal(counted[2])
    # As line_values: each line's commission is royalty x rate, exactly, so the sum is too.
    commission = exact_product(royalty, statement.commission_rate)
    totals = Totals(int(counted[1]), royalty, commission, royalty - commission)
    column = SORTABLE.get(flt.sort, LINES.c.line_no)
    order = column.desc() if flt.descending else column.asc()
    rows = session.execute(
        sa.select(LINES)
        .select_from(lines_with_statements())
        .where(*where)
        .order_by(order, LINES.c.line_no)
        .offset((flt.page - 1) * flt.size)
        .limit(flt.size)
    )
    lines = [{"line_no": r.line_no, **line_values(r, statement)} for r in rows]
    pages = max(1, -(-total // flt.size))
    return LinePage(lines=lines, total=total, pages=pages, totals=totals)


def territories(*, session: Session, caller: Caller, statement: Statement) -> list[str]:
    """The territories on the statement's lines the caller may read (the filter's list)."""
    column = LINES.c.territory
    rows = session.execute(
        sa.select(column)
        .select_from(lines_with_statements())
        .where(LINES.c.statement_id == statement.id, readable_lines(caller), column.is_not(None))
        .distinct()
        .order_by(column)
    )
    return [str(t) for (t,) in rows]

"""A statement's lines as the portal pages them: filtered, sorted, numbered pages of the
lines the caller may read (``access.readable_lines``)."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.auth.caller import Caller
from service.identifiers import normalize_isrc
from service.statements.access import lines_with_statements, readable_lines
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
            clauses.append(LINES.c.iswc == self.iswc.strip().upper())
        if self.territory:
            clauses.append(LINES.c.territory == self.territory.strip().upper())
        if self.right_type:
            clauses.append(LINES.c.right_type == self.right_type)
        if self.adjustment is not None:
            clauses.append(LINES.c.adjustment == self.adjustment)
        return clauses


@dataclass(frozen=True, slots=True)
class LinePage:
    lines: list[dict[str, Any]]
    total: int
    pages: int


def lines_page(
    *, session: Session, caller: Caller, statement: Statement, flt: LineFilter
) -> LinePage:
    """One page of the lines of ``statement`` that ``caller`` may read."""
    where = [LINES.c.statement_id == statement.id, readable_lines(caller), *flt.where()]
    total = session.execute(
        sa.select(sa.func.count()).select_from(lines_with_statements()).where(*where)
    ).scalar_one()
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
    return LinePage(lines=lines, total=int(total), pages=max(1, -(-int(total) // flt.size)))

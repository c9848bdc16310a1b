"""A statement's CSV representation, streamed a keyset page of lines at a time.

Byte for byte what ``render.lines.line_values`` and ``csv.writer`` give, but computed
from the stored micro-units with integer arithmetic (or, on PostgreSQL, formatted by the
database), so no file is held whole in memory and no Decimal is built per line.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.sql import is_postgresql
from service.statements.amounts import exact_product, fmt_exact, fmt_rate
from service.statements.models import Statement
from service.statements.render.lines import LINES

CSV_COLUMNS = (
    "isrc",
    "iswc",
    "territory",
    "right_type",
    "holder_id",
    "share",
    "units",
    "gross_sales",
    "royalty",
    "commission",
    "net",
    "currency",
    "adjustment",
    "non_member",
)
CSV_CHUNK = 10_000  # lines per keyset page and per chunk sent (a few hundred kB)
_PLAIN = sa.BigInteger()  # read money columns as their stored micro-units
_MAX_DIGITS = 28  # the default decimal context's precision, which fmt_exact works within


def _micros(m: int) -> str:
    """A micro-unit count as ``fmt_exact`` writes it (exactly six fractional digits)."""
    if m < 0:
        whole, frac = divmod(-m, 1_000_000)
        return f"-{whole}.{frac:06d}"
    whole, frac = divmod(m, 1_000_000)
    return f"{whole}.{frac:06d}"


def _scaled(n: int, scale: int) -> str:
    """``n`` x 10^-scale (scale >= 6) as ``fmt_exact`` writes it: trailing zeros dropped down
    to six fractional digits, no exponent, zero unsigned."""
    while scale > 6 and n % 10 == 0:
        n //= 10
        scale -= 1
    if n == 0:
        return "0.000000"
    digits = str(abs(n)).rjust(scale + 1, "0")
    return f"{'-' if n < 0 else ''}{digits[:-scale]}.{digits[-scale:]}"


@dataclass(frozen=True, slots=True)
class _Commission:
    """A statement's commission rate as an integer over a power of ten, so that a line's
    commission and net come out of integer arithmetic, exactly as ``line_values`` (Decimal)
    computes them."""

    rate: Decimal
    numerator: int
    shift: int  # rate = numerator x 10^-shift

    @classmethod
    def of(cls, rate: Decimal) -> "_Commission":
        sign, digits, exponent = rate.as_tuple()
        numerator = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        if isinstance(exponent, int) and exponent > 0:
            return cls(rate, numerator * 10**exponent, 0)
        return cls(rate, numerator, -int(exponent))

    def cells(self, royalty: int) -> tuple[str, str]:
        """(commission, net) of a line's royalty in micro-units."""
        commission = royalty * self.numerator
        net = royalty * 10**self.shift - commission
        if len(str(abs(commission))) > _MAX_DIGITS or len(str(abs(net))) > _MAX_DIGITS:
            # Beyond the default context's precision: let Decimal round as line_values does.
            exact = exact_product(Decimal(royalty).scaleb(-6), self.rate)
            return fmt_exact(exact), fmt_exact(Decimal(royalty).scaleb(-6) - exact)
        return _scaled(commission, 6 + self.shift), _scaled(net, 6 + self.shift)

    def overflow_from(self) -> int:
        """The smallest |royalty| (micro-units) whose commission or net has more digits than
        the Decimal context keeps (``cells`` then rounds as Decimal does)."""
        factors: list[int] = [abs(f) for f in (self.numerator, 10**self.shift - self.numerator)]
        bounds: list[int] = [-(-(10**_MAX_DIGITS) // f) for f in factors if f]
        return min([*bounds, 2**63 - 1])


_CSV_LINE_COLUMNS = (
    LINES.c.line_no,
    LINES.c.isrc,
    LINES.c.iswc,
    LINES.c.territory,
    LINES.c.right_type,
    LINES.c.holder_id,
    sa.type_coerce(LINES.c.share, sa.String),  # NUMERIC (PostgreSQL) or text, unparsed
    LINES.c.units,
    sa.type_coerce(LINES.c.gross_sales, _PLAIN),
    sa.type_coerce(LINES.c.royalty, _PLAIN),
    LINES.c.adjustment,
    LINES.c.non_member,
)


@dataclass
class _CsvPages:
    """A statement's lines as CSV text, a keyset page of ``CSV_CHUNK`` lines at a time,
    byte for byte what ``line_values`` and ``csv.writer`` give."""

    session: Session
    statement: Statement
    commission: _Commission
    shares: dict[Any, str]

    def python_page(self, after: int) -> tuple[str, int, int]:
        """(text, lines, last line_no): amounts from micro-units with integer arithmetic."""
        page = self.session.execute(
            sa.select(*_CSV_LINE_COLUMNS)
            .where(LINES.c.statement_id == self.statement.id, LINES.c.line_no > after)
            .order_by(LINES.c.line_no)
            .limit(CSV_CHUNK)
        ).all()
        rows = []
        currency, shares = self.statement.currency, self.shares
        for _, isrc, iswc, territory, right, holder, share, units, gross, royalty, adj, nm in page:
            share_cell = shares.get(share)
            if share_cell is None:
                share_cell = shares[share] = fmt_rate(Decimal(share)) or ""
            commission_cell, net_cell = self.commission.cells(royalty)
            rows.append(
                [
                    isrc or "",
                    iswc or "",
                    territory or "",
                    right,
                    holder or "",
                    share_cell,
                    units,
                    _micros(gross),
                    _micros(royalty),
                    commission_cell,
                    net_cell,
                    currency,
                    "true" if adj else "false",
                    "true" if nm else "false",
                ]
            )
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue(), len(page), int(page[-1][0]) if page else after

    def sql_page(self, after: int) -> tuple[str, int, int]:
        """The same page formatted by PostgreSQL (its exact NUMERIC text, the csv module's
        minimal quoting), aggregated into one text: no per-line work left in Python. A page
        with a line beyond the Decimal context's precision is formatted in Python instead."""
        count, last, overflow, text = self.session.execute(
            _SQL_PAGE,
            {
                "statement_id": self.statement.id,
                "after": after,
                "limit": CSV_CHUNK,
                "rate": self.commission.rate,
                "currency": _csv_cell(self.statement.currency),
                "overflow": self.commission.overflow_from(),
            },
        ).one()
        if overflow:
            return self.python_page(after)
        return text or "", count, last if count else after


def _csv_cell(value: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value, ""])
    return buffer.getvalue()[:-1]


# The text cells as csv.writer (QUOTE_MINIMAL, "\r\n") writes them: a cell is quoted when
# it holds the delimiter, the quote (doubled) or a line-terminator character. One test
# per line picks the plain or the quoting expression (codes and ids never need quotes).
_TEXT = ("l.isrc", "l.iswc", "l.territory", "l.right_type", "l.holder_id")
_SPECIAL = "'[\",\r\n]'"
_PLAIN_CELLS = " || ',' || ".join(f"coalesce({c}, '')" for c in _TEXT)
_QUOTED_CELLS = " || ',' || ".join(
    f"CASE WHEN {c} ~ {_SPECIAL} THEN '\"' || replace({c}, '\"', '\"\"') || '\"' "
    f"ELSE coalesce({c}, '') END"
    for c in _TEXT
)
# fmt_exact: at least six fractional digits, trailing zeros beyond dropped.
_X = "CASE WHEN scale(trim_scale({0})) < 6 THEN round({0}, 6)::text ELSE trim_scale({0})::text END"


def _line_sql(currency: str) -> str:
    """One CSV line of ``statement_line l`` (with ``v.r``, ``v.c``: royalty and commission)."""
    return (
        f"CASE WHEN concat({', '.join(_TEXT)}) ~ {_SPECIAL} THEN {_QUOTED_CELLS} "
        f"ELSE {_PLAIN_CELLS} END || ',' || "
        + " || ',' || ".join(
            [
                "coalesce(trim_scale(l.share)::text, '')",
                "l.units::text",
                "(l.gross_sales * 0.000001)::text",
                "v.r::text",
                _X.format("v.c"),
                _X.format("(v.r - v.c)"),
                currency,
                "CASE WHEN l.adjustment THEN 'true' ELSE 'false' END",
                "CASE WHEN l.non_member THEN 'true' ELSE 'false' END",
            ]
        )
        + " || E'\\r\\n'"
    )


# Fixed column names and literals only; every value is a bound parameter.
_SQL_PAGE = sa.text(
    "SELECT count(*), max(line_no), count(*) - count(line), string_agg(line, '' ORDER BY line_no) "
    "FROM (SELECT l.line_no, CASE WHEN abs(l.royalty) >= :overflow THEN NULL ELSE "
    + _line_sql("CAST(:currency AS text)")
    + " END AS line "
    "FROM statement_line l CROSS JOIN LATERAL (SELECT l.royalty * 0.000001 AS r, "
    "l.royalty * 0.000001 * CAST(:rate AS numeric) AS c) v "
    "WHERE l.statement_id = :statement_id AND l.line_no > :after "
    "ORDER BY l.line_no LIMIT :limit) page"
)
# Every listed statement's CSV, hashed by the database (the close: one query for the
# month). A statement with a line beyond the Decimal context's precision is reported as
# such (its digest is then taken from ``csv_chunks``). Its currency is an ISO code, which
# csv.writer never quotes.
_SQL_DIGESTS = sa.text(
    "SELECT b.statement_id, count(l.line_no) FILTER (WHERE abs(l.royalty) >= b.overflow), "
    "encode(sha256(convert_to(CAST(:header AS text) || coalesce(string_agg("
    + _line_sql("s.currency")
    + ", '' ORDER BY l.line_no), ''), 'UTF8')), 'hex') "
    "FROM unnest(CAST(:ids AS text[]), CAST(:bounds AS numeric[])) AS b(statement_id, overflow) "
    "JOIN statement s ON s.id = b.statement_id "
    "LEFT JOIN statement_line l ON l.statement_id = s.id "
    "LEFT JOIN LATERAL (SELECT l.royalty * 0.000001 AS r, "
    "l.royalty * 0.000001 * s.commission_rate AS c) v ON true "
    "GROUP BY b.statement_id"
)


def _header() -> str:
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(CSV_COLUMNS)
    return header.getvalue()


def csv_digests(session: Session, statements: list[Statement]) -> dict[str, str | None]:
    """PostgreSQL: the SHA-256 of each statement's CSV file, computed by the database in
    one query; None for a statement whose lines need Python's Decimal rounding."""
    bounds = [_Commission.of(s.commission_rate).overflow_from() for s in statements]
    rows = session.execute(
        _SQL_DIGESTS,
        {"header": _header(), "ids": [s.id for s in statements], "bounds": bounds},
    ).all()
    return {row[0]: None if row[1] else row[2] for row in rows}


def csv_chunks(session: Session, statement: Statement) -> Iterator[bytes]:
    """Header row, then one row per line, encoded a database page at a time."""
    pages = _CsvPages(session, statement, _Commission.of(statement.commission_rate), {None: ""})
    next_page = pages.sql_page if is_postgresql(session) else pages.python_page
    text, after = _header(), 0
    while True:
        page, count, after = next_page(after)
        yield (text + page).encode()
        text = ""
        if count < CSV_CHUNK:
            return

"""Representations of a stored statement: JSON lines, streamed CSV and the DDEX DSR file.

Everything is rendered from rows frozen at close, read in keyset chunks, so each
representation is the same bytes on every request and no file is held whole in memory.
"""

import csv
import hashlib
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from service.catalog.models import Recording
from service.money import normalize
from service.sql import table_of
from service.statements.amounts import exact_product, exact_quotient, fmt_exact, fmt_rate
from service.statements.dsr import (
    RIGHTS_TYPE_FOR,
    DsrHeader,
    DsrRecording,
    DsrSale,
    DsrSummary,
    dsr_file_name,
    render_dsr,
)
from service.statements.models import Statement, StatementLine, StatementUsage
from service.statements.periods import first_day, last_day

CHUNK = 1000
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
SERVICE = "Downloads"  # DSR ServiceDescription: no spaces or underscores allowed
USAGE = table_of(StatementUsage)
LINES = table_of(StatementLine)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


# --- lines ---------------------------------------------------------------------------


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


def iter_lines(session: Session, statement_id: str) -> Iterator[Any]:
    after = 0
    while True:
        page = line_page(session, statement_id, after=after, limit=CHUNK)
        yield from page
        if len(page) < CHUNK:
            return
        after = page[-1].line_no


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


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
# Fixed column names and literals only; every value is a bound parameter.
_SQL_PAGE = sa.text(
    "SELECT count(*), max(line_no), count(*) - count(line), string_agg(line, '' ORDER BY line_no) "  # noqa: S608
    "FROM (SELECT l.line_no, CASE WHEN abs(l.royalty) >= :overflow THEN NULL ELSE "
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
            "CAST(:currency AS text)",
            "CASE WHEN l.adjustment THEN 'true' ELSE 'false' END",
            "CASE WHEN l.non_member THEN 'true' ELSE 'false' END",
        ]
    )
    + " || E'\\r\\n' END AS line "
    "FROM statement_line l CROSS JOIN LATERAL (SELECT l.royalty * 0.000001 AS r, "
    "l.royalty * 0.000001 * CAST(:rate AS numeric) AS c) v "
    "WHERE l.statement_id = :statement_id AND l.line_no > :after "
    "ORDER BY l.line_no LIMIT :limit) page"
)


def csv_chunks(session: Session, statement: Statement) -> Iterator[bytes]:
    """Header row, then one row per line, encoded a database page at a time."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(CSV_COLUMNS)
    pages = _CsvPages(session, statement, _Commission.of(statement.commission_rate), {None: ""})
    next_page = (
        pages.sql_page if session.get_bind().dialect.name == "postgresql" else pages.python_page
    )
    text, after = header.getvalue(), 0
    while True:
        page, count, after = next_page(after)
        yield (text + page).encode()
        text = ""
        if count < CSV_CHUNK:
            return


# --- DSR -----------------------------------------------------------------------------


def _clean(text: str | None, fallback: str) -> str:
    # DSR cannot carry CR/LF; a stray one in the catalog must not make a close fail.
    cleaned = _CONTROL.sub(" ", text or "").strip()
    return cleaned or fallback


def _file_element(value: str) -> str:
    return re.sub(r"[\s_/\\]", "-", value)


@dataclass
class DsrDocument:
    """A statement's DSR file, ready to stream: header and summaries are small."""

    session: Session
    statement_id: str
    header: DsrHeader
    summaries: list[DsrSummary]
    summary_ids: dict[tuple[str, str, str], str]
    file_name: str

    def chunks(self) -> Iterator[bytes]:
        buffer: list[str] = []
        for n, line in enumerate(render_dsr(self.header, self.summaries, self._blocks()), 1):
            buffer.append(line)
            if n % CHUNK == 0:
                yield "".join(buffer).encode()
                buffer = []
        yield "".join(buffer).encode()

    def _rows(self) -> Iterator[Any]:
        after = 0
        while True:
            rows = self.session.execute(
                sa.select(
                    USAGE,
                    col(Recording.title),
                    col(Recording.artist),
                    col(Recording.duration_s),
                    col(Recording.iswc).label("work_iswc"),
                )
                .outerjoin(Recording, col(Recording.isrc) == USAGE.c.isrc)
                .where(USAGE.c.statement_id == self.statement_id, USAGE.c.row_no > after)
                .order_by(USAGE.c.row_no)
                .limit(CHUNK)
            ).all()
            yield from rows
            if len(rows) < CHUNK:
                return
            after = rows[-1].row_no

    def _blocks(self) -> Iterator[tuple[DsrRecording, Iterable[DsrSale]]]:
        for n, (isrc, group) in enumerate(itertools.groupby(self._rows(), lambda r: r.isrc), 1):
            first = next(group)
            recording = DsrRecording(
                block_id=f"B{n}",
                resource_reference=f"R{n}",
                dsp_resource_id=isrc or f"UNKNOWN{n}",
                isrc=isrc,
                title=_clean(first.title, isrc or "Unknown recording"),
                display_artist=_clean(first.artist, "Unknown artist"),
                duration_s=first.duration_s,
                iswc=first.work_iswc,
            )
            yield recording, (self._sale(row) for row in itertools.chain([first], group))

    def _sale(self, row: Any) -> DsrSale:
        sold, returned = int(row.usages), int(row.returns)
        if sold:
            price = exact_quotient(row.gross_sold, sold)
        elif returned:
            price = exact_quotient(row.gross_returned, returned)
        else:
            price = Decimal(0)
        key = (row.territory or "WORLD", row.right_type, row.currency)
        return DsrSale(
            summary_record_id=self.summary_ids[key],
            sales_transaction_id=(
                f"{row.sale_pk}-{row.right_type}" if row.sale_pk is not None else f"U{row.row_no}"
            ),
            usages=sold,
            returns=returned,
            price_consumer_paid_exc_sales_tax=normalize(price),
        )


def dsr_document(session: Session, statement: Statement) -> DsrDocument:
    """The DSR of a statement: the sales usage behind it, the party as RightsController.

    One summary per territory, right type and sale currency (amounts as the stores
    reported them, before the close's conversion into the statement's currency).
    """
    grouped = session.execute(
        sa.select(
            USAGE.c.territory,
            USAGE.c.right_type,
            USAGE.c.currency,
            sa.func.sum(USAGE.c.usages).label("usages"),
            sa.func.sum(USAGE.c.gross_sold).label("gross_sold"),
            sa.func.sum(USAGE.c.gross_returned).label("gross_returned"),
            sa.func.sum(USAGE.c.royalty).label("royalty"),
        )
        .where(USAGE.c.statement_id == statement.id)
        .group_by(USAGE.c.territory, USAGE.c.right_type, USAGE.c.currency)
        .order_by(USAGE.c.territory, USAGE.c.right_type, USAGE.c.currency)
    ).all()
    controller = _clean(statement.party_name, statement.party)
    summaries, ids = [], {}
    for n, row in enumerate(grouped, 1):
        territory = row.territory or "WORLD"
        sid = f"SR{n}"
        ids[(territory, row.right_type, row.currency)] = sid
        summaries.append(
            DsrSummary(
                summary_record_id=sid,
                territory=territory,
                service_description=SERVICE,
                usages=int(row.usages),
                currency=row.currency,
                net_revenue=row.gross_sold - row.gross_returned,
                rights_controller=controller,
                rights_controller_party_id=None,
                allocated_usages=int(row.usages),
                allocated_revenue=row.royalty,
                rights_type=RIGHTS_TYPE_FOR[row.right_type],
            )
        )
    territories = sorted({key[0] for key in ids})
    place = territories[0] if len(territories) == 1 else "multi" if territories else "WORLD"
    start, end = first_day(statement.period), last_day(statement.period)
    header = DsrHeader(
        message_id=statement.id,
        created_at=statement.closed_at,
        usage_start=start,
        usage_end=end,
        sender_party_id=statement.dsr_sender_id,
        sender_name=statement.dsr_sender_name,
        service_description=SERVICE,
        recipient_party_id=None,
        recipient_name=controller,
    )
    name = dsr_file_name(
        recipient=_file_element(statement.party.split(":", 1)[1]),
        sender=_file_element(statement.dsr_sender_name),
        service=SERVICE,
        period_start=start,
        period_end=end,
        territory=place,
        created_at=statement.closed_at,
    )
    return DsrDocument(session, statement.id, header, summaries, ids, name)

"""A statement's DDEX DSR file: its usage rows grouped into the writer's records.

The usage rows are written at close (``close.representations``); here they are read in
keyset chunks and streamed through ``render.dsr.render_dsr``. Statements closed before
closes wrote them have none: their rows are computed from the ledger on the fly, read-only.
"""

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from service.catalog.models import Recording
from service.sql import is_postgresql, table_of
from service.statements.close.lines import usage_rows
from service.statements.models import Statement, StatementUsage
from service.statements.periods import first_day, last_day
from service.statements.render.dsr import (
    RIGHTS_TYPE_FOR,
    DsrHeader,
    DsrRecording,
    DsrSale,
    DsrSummary,
    Rendered,
    dsr_file_name,
    render_dsr,
)
from service.statements.render.dsr_sql import statement_blocks

# The DSR layout a close freezes on its statements (``Statement.dsr_layout``; NULL is 1).
# Layout 2: a statement without sales has one summary record reporting nothing (DSR Part
# 1 clause 7.19: HEAD, at least one summary record, FOOT), where 1 wrote none; and sales
# or refunds dated in an earlier, closed month (the CSV's and JSON's `adjustment` lines)
# are reported under summary records of their own, ServiceDescription ``LATE_SERVICE``
# (a sales context of its own, Part 1 clause 6.5: SY02.02 has no date cell to carry it).
DSR_LAYOUT = 2
CHUNK = 1 << 18  # characters per chunk sent (and hashed)
SERVICE = "Downloads"  # DSR ServiceDescription: no spaces or underscores allowed
LATE_SERVICE = "Downloads-Late"
USAGE = table_of(StatementUsage)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ROW_COLUMNS = (
    "row_no",
    "isrc",
    "territory",
    "right_type",
    "currency",
    "sale_pk",
    "usages",
    "returns",
    "late",
)
# (territory or WORLD, right type, sale currency, late): what a summary record stands for.
SummaryKey = tuple[str, str, str, bool]
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")


def _clean(text: str | None, fallback: str) -> str:
    # DSR cannot carry CR/LF; a stray one in the catalog must not make a close fail.
    cleaned = _CONTROL.sub(" ", text or "").strip()
    return cleaned or fallback


@dataclass
class DsrDocument:
    """A statement's DSR file, ready to stream: header and summaries are small."""

    session: Session
    statement_id: str
    header: DsrHeader
    summaries: list[DsrSummary]
    summary_ids: dict[SummaryKey, str]
    file_name: str
    source: sa.FromClause = USAGE
    # Blocks already formatted by PostgreSQL (``dsr_sql``) for this statement, if the
    # caller streams them (the close, a month at a time); else they are read here.
    formatted: Iterator[Any] | None = None
    by_late: bool = False  # layout 2: late rows under summaries of their own

    def chunks(self) -> Iterator[bytes]:
        buffer: list[str] = []
        size = 0
        for line in render_dsr(self.header, self.summaries, self._blocks()):
            buffer.append(line)
            size += len(line)
            if size >= CHUNK:
                yield "".join(buffer).encode()
                buffer, size = [], 0
        yield "".join(buffer).encode()

    def _blocks(self) -> Iterator[tuple[DsrRecording, Iterable[DsrSale | str | Rendered]]]:
        formatted = self.formatted
        if formatted is None and self.source is USAGE and is_postgresql(self.session):
            formatted = statement_blocks(self.session, self.statement_id)
        if formatted is None:
            yield from self._python_blocks()
            return
        for row in formatted:
            n = int(row.block)
            recording = _recording(n, row.isrc, row)
            yield recording, [Rendered(row.text, int(row.lines))]

    def _rows(self) -> Iterator[Any]:
        after, usage = 0, self.source
        while True:
            rows = self.session.execute(
                sa.select(
                    # Amounts raw (micro-units): su01_line does integer arithmetic.
                    *(usage.c[name] for name in _ROW_COLUMNS),
                    sa.type_coerce(usage.c.gross_sold, sa.BigInteger).label("sold_micros"),
                    sa.type_coerce(usage.c.gross_returned, sa.BigInteger).label("ret_micros"),
                    col(Recording.title),
                    col(Recording.artist),
                    col(Recording.duration_s),
                    col(Recording.iswc).label("work_iswc"),
                )
                .outerjoin(Recording, col(Recording.isrc) == usage.c.isrc)
                .where(usage.c.statement_id == self.statement_id, usage.c.row_no > after)
                .order_by(usage.c.row_no)
                .limit(CHUNK)
            ).all()
            yield from rows
            if len(rows) < CHUNK:
                return
            after = rows[-1].row_no

    def _python_blocks(self) -> Iterator[tuple[DsrRecording, Iterable[DsrSale | str]]]:
        for n, (isrc, group) in enumerate(itertools.groupby(self._rows(), lambda r: r.isrc), 1):
            first = next(group)
            rows = itertools.chain([first], group)
            yield _recording(n, isrc, first), (self._sale(n, row) for row in rows)

    def _sale(self, block_id: int, row: Any) -> str:
        # Formatted from typed values (integers, codes of the ledger's own vocabulary): the
        # per-cell checks of ``render.dsr`` cost more than the rest of the file together.
        sid = self.summary_ids[_key(row, self.by_late)]
        tx = f"{row.sale_pk}-{row.right_type}" if row.sale_pk is not None else f"U{row.row_no}"
        return su01_line(
            block_id, sid, tx, int(row.usages), int(row.returns), row.sold_micros, row.ret_micros
        )


def _recording(n: int, isrc: str | None, first: Any) -> DsrRecording:
    # The close renders this file: a malformed code in the ledger (legs posted raw, not
    # through the sales API) must not make the close fail.
    valid = isrc if isrc and _ISRC.match(isrc) else None
    return DsrRecording(
        block_id=n,
        resource_reference=f"R{n}",
        dsp_resource_id=_clean(isrc, f"UNKNOWN{n}"),
        isrc=valid,
        title=_clean(first.title, _clean(isrc, "Unknown recording")),
        display_artist=_clean(first.artist, "Unknown artist"),
        duration_s=first.duration_s,
        iswc=first.work_iswc,
    )


def _price_micros(gross_micros: int, units: int) -> int:
    """``exact_quotient(gross, units)`` in micro-units: half-even to the micro-unit."""
    quotient, remainder = divmod(gross_micros, units)
    if 2 * remainder > units or (2 * remainder == units and quotient % 2):
        quotient += 1
    return quotient


def _plain(micros: int) -> str:
    """A micro-unit amount as DSR's plain decimal: no trailing zeros, zero is ``0``."""
    sign = "-" if micros < 0 else ""
    whole, fraction = divmod(abs(micros), 1_000_000)
    digits = f"{fraction:06d}".rstrip("0")
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def su01_line(
    block_id: int,
    summary_id: str,
    transaction_id: str,
    sold: int,
    returned: int,
    gross_sold_micros: int,
    gross_returned_micros: int,
) -> str:
    """One SU01 record: royalty-bearing, no upgrade, the unit price the store reported
    (of the units sold, else of those returned; 0 when neither)."""
    if sold:
        price = _price_micros(gross_sold_micros, sold)
    elif returned:
        price = _price_micros(gross_returned_micros, returned)
    else:
        price = 0
    return (
        f"SU01\t{block_id}\t{summary_id}\t{transaction_id}\t\tR{block_id}\ttrue\tfalse\t"
        f"{sold}\t{returned}\t{_plain(price)}\t\n"
    )


def dsr_document(
    session: Session,
    statement: Statement,
    *,
    grouped: Iterable[Any] | None = None,
    formatted: Iterator[Any] | None = None,
) -> DsrDocument:
    """The DSR of a statement: the sales usage behind it, the party as RightsController.

    One summary per territory, right type and sale currency (amounts as the stores
    reported them, before the close's conversion into the statement's currency).
    """
    controller = _clean(statement.party_name, statement.party)
    dpid, dsr_name = recipient_identity(statement)
    # The close passes what it read for the whole month (``grouped``, ``formatted``).
    source = USAGE if grouped is not None else _usage_source(session, statement)
    if grouped is None:
        grouped = _grouped(session, source, statement.id)
    layout = statement.dsr_layout or 1
    summaries, ids = _summaries(grouped, controller, dpid, by_late=layout >= 2)
    if not summaries and layout >= 2:
        summaries = [_nothing_reported(statement.currency, controller, dpid)]
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
        recipient_party_id=dpid,
        recipient_name=dsr_name,
    )
    # Part 1 8.1: each name element is "the same as" a HEAD cell, so both come from one value.
    name = dsr_file_name(
        recipient=dpid or dsr_name,
        sender=statement.dsr_sender_id,
        service=SERVICE,
        period_start=start,
        period_end=end,
        territory=place,
        created_at=statement.closed_at,
    )
    return DsrDocument(
        session, statement.id, header, summaries, ids, name, source, formatted, layout >= 2
    )


def _usage_source(session: Session, statement: Statement) -> sa.FromClause:
    written = session.execute(
        sa.select(USAGE.c.row_no).where(USAGE.c.statement_id == statement.id).limit(1)
    ).first()
    if written is not None or statement.line_count == 0:
        return USAGE
    return usage_rows(statement.id, statement.party, statement.period).subquery("usage")


def recipient_identity(statement: Statement) -> tuple[str | None, str]:
    """The recipient's DPID and DSR name frozen at close; statements closed before they
    were (migration 0008) take the name the migration gave every party by default."""
    if statement.dsr_recipient_name is not None:
        return statement.dsr_recipient_id, statement.dsr_recipient_name
    return None, statement.party.split(":", 1)[1].replace("_", "-")


def _grouped_query(usage: sa.FromClause) -> sa.Select[Any]:
    keys = (
        usage.c.statement_id,
        usage.c.territory,
        usage.c.right_type,
        usage.c.currency,
        usage.c.late,
    )
    return (
        sa.select(
            *keys,
            sa.func.sum(usage.c.usages).label("usages"),
            sa.func.sum(usage.c.gross_sold).label("gross_sold"),
            sa.func.sum(usage.c.gross_returned).label("gross_returned"),
            sa.func.sum(usage.c.royalty).label("royalty"),
        )
        .group_by(*keys)
        .order_by(*keys)
    )


def _grouped(session: Session, usage: sa.FromClause, statement_id: str) -> list[Any]:
    query = _grouped_query(usage).where(usage.c.statement_id == statement_id)
    return list(session.execute(query).all())


def month_grouped(session: Session, period: str) -> dict[str, list[Any]]:
    """Every statement's summary sums for the month, by statement id (one query)."""
    ids = sa.select(col(Statement.id)).where(col(Statement.period) == period)
    query = _grouped_query(USAGE).where(USAGE.c.statement_id.in_(ids))
    by_statement: dict[str, list[Any]] = {}
    for row in session.execute(query):
        by_statement.setdefault(row.statement_id, []).append(row)
    return by_statement


def _nothing_reported(currency: str, controller: str, dpid: str | None) -> DsrSummary:
    """The summary record of a month without sales (a payment-only statement): zero
    usages and revenue, worldwide, in the statement's currency, no right type (an
    optional cell: none was exercised)."""
    return DsrSummary(
        summary_record_id="SR1",
        territory="WORLD",
        service_description=SERVICE,
        usages=0,
        currency=currency,
        net_revenue=Decimal(0),
        rights_controller=controller,
        rights_controller_party_id=f"DPID::{dpid}" if dpid else None,
        allocated_usages=0,
        allocated_revenue=Decimal(0),
        rights_type=None,
    )


def _key(row: Any, by_late: bool) -> SummaryKey:
    return (row.territory or "WORLD", row.right_type, row.currency, by_late and bool(row.late))


def _summaries(
    grouped: Iterable[Any], controller: str, dpid: str | None, *, by_late: bool
) -> tuple[list[DsrSummary], dict[SummaryKey, str]]:
    """SY02 records, one per territory, right type and sale currency (and, ``by_late``,
    whether the rows are late), and their ids. Rows come sorted by those keys, late last,
    so a layout-1 statement's late and other rows of one key are adjacent and merge."""
    merged: list[tuple[tuple[Any, ...], SummaryKey, list[Any]]] = []
    for row in grouped:
        raw = (row.territory, row.right_type, row.currency, by_late and bool(row.late))
        sums = [int(row.usages), row.gross_sold - row.gross_returned, row.royalty]
        if merged and merged[-1][0] == raw:
            merged[-1][2][:] = [a + b for a, b in zip(merged[-1][2], sums, strict=True)]
        else:
            merged.append((raw, _key(row, by_late), sums))
    summaries, ids = [], {}
    for n, (_, key, (usages, net, royalty)) in enumerate(merged, 1):
        sid = f"SR{n}"
        ids[key] = sid
        summaries.append(
            DsrSummary(
                summary_record_id=sid,
                territory=key[0],
                service_description=LATE_SERVICE if key[3] else SERVICE,
                usages=usages,
                currency=key[2],
                net_revenue=net,
                rights_controller=controller,
                rights_controller_party_id=f"DPID::{dpid}" if dpid else None,
                allocated_usages=usages,
                allocated_revenue=royalty,
                rights_type=RIGHTS_TYPE_FOR[key[1]],
            )
        )
    return summaries, ids

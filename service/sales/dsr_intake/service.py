"""Booking a DSR file: a structural pass, then chunks through the sales path's entry points.

1. ``parser.outline`` reads the whole (spooled) file once and refuses a broken structure
   with its first broken line: nothing is booked yet. A ``Content-Disposition`` file name
   is checked against the HEAD (``filename``).
2. The message is claimed: (store, sender, MessageId, FileNumber) with the file's SHA-256.
   Another file under the same MessageId is a conflict (409); the same file again goes on
   (an interrupted post is resumed by posting the file again: what was booked comes back
   as duplicates, since sale ids are derived from the message).
3. A second pass maps SU01 lines (``mapping.chunks``) and books them ``chunk`` lines at a time:
   the sales through ``sales.service.record_sales`` and the returns through
   ``sales.service.record_refunds`` — the one booking path every sale takes — each chunk then
   committed by ``checkpoint`` (the request's session), so a chunk is atomic and memory
   stays flat whatever the file's size.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlmodel import Session, select

from service.sales import service as sales
from service.sales.dsr_intake import filename, mapping
from service.sales.dsr_intake.exceptions import DsrMessageConflict
from service.sales.dsr_intake.models import DsrMessage
from service.sales.dsr_intake.parser import Outline, outline
from service.sales.dsr_intake.schemas import MAX_LISTED
from service.sales.intake.ingest import RefundRow, Row
from service.sales.schemas import RefundIn
from service.sql import insert_ignoring_duplicates, table_of
from service.timeutil import utcnow

CHUNK = 2_000  # SU01 lines per transaction (record_sales takes at most 10,000 rows)
MESSAGES = table_of(DsrMessage)


@dataclass(frozen=True, slots=True)
class Upload:
    """A received DSR file: a seekable stream of its (decompressed) bytes and their hash."""

    stream: BinaryIO
    sha256: str
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What posting a DSR file booked (the router answers it as ``DsrReceipt``)."""

    message_id: str
    sender: str
    file_number: int
    lines_read: int
    usage_lines: int
    sales_recorded: int
    duplicates: int
    refunds_recorded: int
    refund_duplicates: int
    skipped: int
    rejected: int
    rejections: list[mapping.Rejection]  # the first MAX_LISTED
    rejections_listed: int


@dataclass(slots=True)
class _Tally:
    outline: Outline
    sales_recorded: int = 0
    duplicates: int = 0
    refunds_recorded: int = 0
    refund_duplicates: int = 0
    skipped: int = 0
    rejected: int = 0
    rejections: list[mapping.Rejection] = field(default_factory=list)

    def reject(self, rejection: mapping.Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_LISTED:
            self.rejections.append(rejection)

    def receipt(self) -> Receipt:
        found = self.outline
        return Receipt(
            message_id=found.message_id,
            sender=found.head["SenderPartyId"],
            file_number=found.file_number,
            lines_read=found.lines,
            usage_lines=found.usage_lines,
            sales_recorded=self.sales_recorded,
            duplicates=self.duplicates,
            refunds_recorded=self.refunds_recorded,
            refund_duplicates=self.refund_duplicates,
            skipped=self.skipped,
            rejected=self.rejected,
            rejections=self.rejections,
            rejections_listed=len(self.rejections),
        )


def ingest_dsr(
    *,
    session: Session,
    store_code: str,
    upload: Upload,
    checkpoint: Callable[[], None],
    chunk: int | None = None,
) -> Receipt:
    """Book a DSR file for ``store_code`` (see the module's docstring for the steps)."""
    upload.stream.seek(0)
    found = outline(upload.stream)
    if upload.file_name:
        filename.check(upload.file_name, found)
    _claim(session, store_code, found, upload.sha256)
    checkpoint()
    tally = _Tally(found)
    upload.stream.seek(0)
    for part in mapping.chunks(upload.stream, found, now=utcnow(), size=chunk or CHUNK):
        _book(session, store_code, part, tally)
        del part  # a chunk's rows are not kept while the next is read
        checkpoint()
    return tally.receipt()


def _claim(session: Session, store_code: str, found: Outline, sha256: str) -> None:
    """Record the message, or accept the same file again; another file is a conflict."""
    key = {
        "store_code": store_code,
        "sender": found.head["SenderPartyId"],
        "message_id": found.message_id,
        "file_number": found.file_number,
    }
    row = {**key, "sha256": sha256, "lines": found.lines, "received_at": utcnow()}
    unique = tuple(key)
    if insert_ignoring_duplicates(session, MESSAGES, [row], unique, "message_id"):
        return
    query = select(DsrMessage).where(*(getattr(DsrMessage, k) == v for k, v in key.items()))
    recorded = session.exec(query).one()
    if recorded.sha256 != sha256:
        raise DsrMessageConflict(
            f"MessageId {found.message_id!r} (file {found.file_number}) of sender "
            f"{key['sender']} was posted on {recorded.received_at:%Y-%m-%d} with other "
            "content; a new report needs a new MessageId. Nothing was booked.",
            message_id=found.message_id,
        )


def _book(session: Session, store_code: str, chunk: mapping.Chunk, tally: _Tally) -> None:
    """One chunk: its sales in one batch, then the returns of the sales that stand."""
    results = sales.record_sales(
        session=session, store_code=store_code, rows=chunk.rows, minimal=True
    ).results
    for i, result in enumerate(results):
        status = result.status
        if status == "recorded":
            tally.sales_recorded += 1
        elif status == "duplicate":
            tally.duplicates += 1
        else:
            assert result.error is not None
            error = result.error
            tally.reject(
                mapping.Rejection(
                    chunk.lines[i], "SU01", None, error.code, error.detail, error.takedown_id
                )
            )
    for rejection in chunk.rejections:
        tally.reject(rejection)
    tally.skipped += chunk.skipped
    stand = [
        (chunk.lines[i], _refund(chunk.rows[i], units))
        for i, units in chunk.returns
        if results[i].status in ("recorded", "duplicate")
    ]
    _refund_returns(session, store_code, stand, tally)


def _refund(row: Row, units: int) -> RefundRow:
    assert row.sale is not None
    sale = row.sale
    refund_id = f"{sale.sale_id}-r"
    refund = RefundIn(refund_id=refund_id, quantity=units, refunded_at=sale.sold_at)
    return RefundRow(sale.sale_id, refund_id, refund)


def _refund_returns(
    session: Session, store_code: str, returns: list[tuple[int, RefundRow]], tally: _Tally
) -> None:
    if not returns:
        return
    rows = [row for _, row in returns]
    refunds = sales.record_refunds(session=session, store_code=store_code, rows=rows, minimal=True)
    for (line, _), outcome in zip(returns, refunds.results, strict=True):
        if outcome.status == "recorded":
            tally.refunds_recorded += 1
        elif outcome.status == "duplicate":
            tally.refund_duplicates += 1
        else:
            assert outcome.error is not None
            detail = f"the sale was booked, its returns not: {outcome.error.detail}"
            tally.reject(_rejected(line, outcome.error.code, detail, cell="Returns"))


def _rejected(line: int, code: str, detail: str, cell: str | None = None) -> mapping.Rejection:
    return mapping.Rejection(line, "SU01", cell, code, detail)

"""From a DSR's SU01 lines to the sales and refunds the ledger books (docs/dsr-intake.md).

One SU01 line is one sale of ``Usages`` units of the block's resource, at
``PriceConsumerPaidExcSalesTax`` per unit, in the summary's ``Territory`` and
``CurrencyOfReporting``, sold at the start of the HEAD's usage period; its ``Returns``
are one refund of that sale. Sale ids are derived from (sender, MessageId, BlockId,
line), so posting the same file again records nothing new.

Lines are read ``size`` at a time into a ``Chunk``: the rows ``record_sales`` books, with
each row's line and returns beside it. A file of 10^7 lines is one pass at a few µs a
line, so a line's sale is assembled from values validated once each (``cells.Cells``),
not validated whole (docs/dsr-intake.md, "Speed").
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import BinaryIO

from service.sales.dsr_intake.cells import Cells, Rejected
from service.sales.dsr_intake.parser import Outline, Summary, lines, split_record
from service.sales.dsr_intake.records import LAYOUTS
from service.sales.intake.ingest import Row
from service.sales.schemas import MAX_QUANTITY

_SU01 = LAYOUTS["SU01"]
_BLOCK = _SU01.index("BlockId")
_SUMMARY = _SU01.index("SummaryRecordId")
_RELEASE = _SU01.index("TransactedRelease")
_RESOURCE = _SU01.index("TransactedResource")
_ROYALTY_BEARING = _SU01.index("IsRoyaltyBearing")
_USAGES = _SU01.index("Usages")
_RETURNS = _SU01.index("Returns")
_PRICE = _SU01.index("PriceConsumerPaidExcSalesTax")
# The usual counts, read by one look-up (``_count`` reads any other).
_COUNTS = {str(n): n for n in range(1_000)}


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    record_type: str
    cell: str | None
    code: str
    reason: str
    takedown_id: str | None = None


@dataclass(slots=True)
class Chunk:
    """Consecutive SU01 lines: the sales they book, and what else the lines said."""

    rows: list[Row] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each row
    returns: list[tuple[int, int]] = field(default_factory=list)  # (row index, units)
    rejections: list[Rejection] = field(default_factory=list)
    skipped: int = 0  # not royalty-bearing, or no usages and no returns
    usage_lines: int = 0


def sale_id_prefix(sender: str, message_id: str) -> str:
    """``dsr-`` and 16 hex digits of SHA-256 over the sender and the MessageId: a sale id
    stays within the API's 100 printable characters whatever the MessageId holds."""
    digest = hashlib.sha256(f"{sender}\n{message_id}".encode()).hexdigest()
    return f"dsr-{digest[:16]}"


@dataclass(slots=True)
class _Block:
    block_id: str = ""
    # ref -> (line, record type, ISRCs, the first ISRC as SaleIn reads it or None)
    resources: dict[str, tuple[int, str, list[str], str | None]] = field(default_factory=dict)
    releases: dict[str, list[str]] = field(default_factory=dict)  # ref -> its resources


def chunks(stream: BinaryIO, outline: Outline, *, now: datetime, size: int) -> Iterator[Chunk]:
    """The SU01 lines of a file that passed ``outline``, ``size`` lines a chunk, in order."""
    mapper = _Mapper(outline, now)
    block = _Block()
    chunk = Chunk()
    for number, text in lines(stream):
        if text.startswith("SU01\t"):
            cells = text.split("\t") if "\\" not in text else split_record(text, number)
            if cells[_BLOCK] != block.block_id:  # a block may even start with its SU01s
                block = _Block(cells[_BLOCK])
            mapper.add(chunk, number, cells, block)
            if chunk.usage_lines == size:
                yield chunk
                chunk = Chunk()
        elif not text.startswith("#"):
            block = mapper.block_record(split_record(text, number), number, block)
    if chunk.usage_lines:
        yield chunk


class _Mapper:
    def __init__(self, outline: Outline, now: datetime) -> None:
        sold_at = datetime.combine(outline.usage_start, time(), UTC).isoformat()
        self.prefix = sale_id_prefix(outline.head["SenderPartyId"], outline.message_id)
        self.cells = Cells(sold_at, now)
        self.summaries = {
            record_id: (summary, self.cells.place(summary))
            for record_id, summary in outline.summaries.items()
        }

    def block_record(self, cells: list[str], number: int, block: _Block) -> _Block:
        """A record other than SU01: a block's resource or release is remembered."""
        layout = LAYOUTS[cells[0]]
        if layout.role in ("head", "summary", "foot"):
            return block
        if cells[1] != block.block_id:
            block = _Block(cells[1])
        if layout.role == "resource":
            isrcs = [v for v in cells[layout.index("ISRC")].split("|") if v]
            valid = self.cells.isrc(isrcs[0]) if isrcs else None
            reference = cells[layout.index("ResourceReference")]
            block.resources[reference] = (number, cells[0], isrcs, valid)
        elif layout.role == "release":
            block.releases[cells[layout.index("ReleaseReference")]] = []
        elif layout.role == "sub_release":
            used = cells[layout.index("UsedResources")].split("|")
            block.releases[cells[layout.index("ReleaseReference")]] = used
        return block

    def add(self, chunk: Chunk, number: int, cells: list[str], block: _Block) -> None:
        """One SU01 line into ``chunk``: a row, a rejection or a skipped line.

        The common line (a known summary, royalty-bearing, a few usages, fewer returns,
        the block's resource named) is read here in a few µs; any other goes through
        ``_line``, which checks every rule in order (and answers a common line alike).
        """
        chunk.usage_lines += 1
        summary = self.summaries.get(cells[_SUMMARY])
        usages = _COUNTS.get(cells[_USAGES])
        returns = _COUNTS.get(cells[_RETURNS])
        resource = block.resources.get(cells[_RESOURCE])
        if (
            summary is None
            or not usages
            or returns is None
            or returns > usages
            or resource is None
            or not resource[2]
            or cells[_ROYALTY_BEARING] in ("false", "0")
        ):
            return self._line(chunk, number, cells, block)
        sale_id = f"{self.prefix}-{cells[_BLOCK]}-{number}"
        price = self.cells.price(cells[_PRICE])
        sale = self.cells.sale(sale_id, resource[3], summary[1], price, usages)
        if sale is None:  # a value SaleIn refused: the line validated whole names it
            isrc = resource[2][0]
            return self._whole(chunk, number, sale_id, isrc, summary[0], cells, usages, returns)
        if returns:
            chunk.returns.append((len(chunk.rows), returns))
        chunk.rows.append(Row(sale_id, sale))
        chunk.lines.append(number)
        return None

    def _line(self, chunk: Chunk, number: int, cells: list[str], block: _Block) -> None:
        """Any SU01 line, every rule in order."""

        def reject(cell: str | None, code: str, reason: str) -> None:
            chunk.rejections.append(Rejection(number, "SU01", cell, code, reason))

        found = self.summaries.get(cells[_SUMMARY])
        if found is None:
            return reject("SummaryRecordId", "invalid", f"no summary {cells[_SUMMARY]!r}")
        if cells[_ROYALTY_BEARING] in ("false", "0"):
            chunk.skipped += 1  # not royalty-bearing: nothing to book
            return None
        usages, returns = _count(cells[_USAGES]), _count(cells[_RETURNS])
        if isinstance(usages, str) or isinstance(returns, str):
            cell = "Usages" if isinstance(usages, str) else "Returns"
            return reject(cell, "invalid", str(usages if cell == "Usages" else returns))
        if usages == 0 and returns == 0:
            chunk.skipped += 1
            return None
        if returns > usages:
            return reject(
                "Returns",
                "unmatched_return",
                f"{returns} returns but {usages} usages on the line: a DSR line does not "
                "name the earlier sale returned, so only returns of the line's own usages "
                "can be booked",
            )
        isrc = _isrc(cells, block)
        if isinstance(isrc, tuple):
            return reject(*isrc)
        if usages > MAX_QUANTITY:
            return reject("Usages", "invalid", f"quantity: at most {MAX_QUANTITY} units a sale")
        sale_id = f"{self.prefix}-{cells[_BLOCK]}-{number}"
        return self._whole(chunk, number, sale_id, isrc, found[0], cells, usages, returns)

    def _whole(
        self,
        chunk: Chunk,
        number: int,
        sale_id: str,
        isrc: str,
        summary: Summary,
        cells: list[str],
        usages: int,
        returns: int = 0,
    ) -> None:
        """The line validated whole: its sale, or the first cell ``SaleIn`` refuses."""
        sale = self.cells.whole(sale_id, isrc, summary, cells[_PRICE], usages)
        if isinstance(sale, Rejected):
            chunk.rejections.append(Rejection(number, "SU01", sale.cell, "invalid", sale.reason))
            return
        if returns:
            chunk.returns.append((len(chunk.rows), returns))
        chunk.rows.append(Row(sale_id, sale))
        chunk.lines.append(number)


def _count(text: str) -> int | str:
    """A count of units, or why the cell is not one (ASCII digits only: ``int`` would
    refuse other Unicode digits that ``isdigit`` accepts)."""
    if not (text.isascii() and text.isdigit()):
        return f"{text!r} is not a whole number of units (0 or more)"
    return int(text)


def _isrc(cells: list[str], block: _Block) -> str | tuple[str, str, str]:
    """The ISRC the line sold, or (cell, code, reason) when the block does not say it."""
    resources = block.resources
    if not resources:
        return (
            "TransactedResource",
            "no_resource",
            f"block {cells[_BLOCK]} has no resource record (AS01.01 or AS02.02)",
        )
    reference = cells[_RESOURCE]
    if not reference:
        used = block.releases.get(cells[_RELEASE])
        if used is None:
            return (
                "TransactedRelease",
                "no_resource",
                f"no release {cells[_RELEASE]!r} in the block",
            )
        used = used or list(resources)
        if len(used) != 1:
            return (
                "TransactedRelease",
                "no_resource",
                f"release {cells[_RELEASE]!r} holds {len(used)} resources; the ledger books "
                "recordings, so a release sale must name one resource",
            )
        reference = used[0]
    resource = resources.get(reference)
    if resource is None:
        return "TransactedResource", "no_resource", f"no resource {reference!r} in the block"
    line, record_type, isrcs, _ = resource
    if not isrcs:
        return "ISRC", "invalid", f"resource {reference!r} ({record_type}, line {line}) has no ISRC"
    return isrcs[0]

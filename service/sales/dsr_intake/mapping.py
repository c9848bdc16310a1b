"""From a DSR's SU01 lines to the sales and refunds the ledger books (docs/dsr-intake.md).

One SU01 line is one sale of ``Usages`` units of the block's resource, at
``PriceConsumerPaidExcSalesTax`` per unit, in the summary's ``Territory`` and
``CurrencyOfReporting``, sold at the start of the HEAD's usage period; its ``Returns``
are one refund of that sale. Sale ids are derived from (sender, MessageId, BlockId,
line), so posting the same file again records nothing new.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, BinaryIO

from service.sales.dsr_intake.parser import Outline, Summary, records
from service.sales.dsr_intake.records import LAYOUTS
from service.sales.intake.ingest import Row, validate
from service.sales.schemas import MAX_QUANTITY, SaleIn

_TEMPLATES = 10_000  # validated (ISRC, summary, price) sales kept (~1.3 KB each)
_SU01 = LAYOUTS["SU01"]
_BLOCK = _SU01.index("BlockId")
_SUMMARY = _SU01.index("SummaryRecordId")
_RELEASE = _SU01.index("TransactedRelease")
_RESOURCE = _SU01.index("TransactedResource")
_ROYALTY_BEARING = _SU01.index("IsRoyaltyBearing")
_USAGES = _SU01.index("Usages")
_RETURNS = _SU01.index("Returns")
_PRICE = _SU01.index("PriceConsumerPaidExcSalesTax")
# Where each field of a sale comes from, for a rejected line's cell.
_SOURCE = {
    "isrc": "ISRC",
    "territory": "Territory",
    "currency": "CurrencyOfReporting",
    "unit_price": "PriceConsumerPaidExcSalesTax",
    "quantity": "Usages",
    "sold_at": "UsageStartDate",
    "sale_id": "MessageId",
}


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    record_type: str
    cell: str | None
    code: str
    reason: str
    takedown_id: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """One SU01 line: the sale it books and the units it returns, or why it books nothing."""

    line: int
    row: Row | None = None
    returns: int = 0
    rejection: Rejection | None = None  # None with no row: skipped (nothing to book)


def sale_id_prefix(sender: str, message_id: str) -> str:
    """``dsr-`` and 16 hex digits of SHA-256 over the sender and the MessageId: a sale id
    stays within the API's 100 printable characters whatever the MessageId holds."""
    digest = hashlib.sha256(f"{sender}\n{message_id}".encode()).hexdigest()
    return f"dsr-{digest[:16]}"


@dataclass(slots=True)
class _Block:
    block_id: str = ""
    resources: dict[str, tuple[int, str, list[str]]] | None = None  # ref -> line, type, ISRCs
    releases: dict[str, list[str]] | None = None  # ref -> the resources it holds


def usages(stream: BinaryIO, outline: Outline, *, now: datetime) -> Iterator[Usage]:
    """Every SU01 line of a file that passed ``outline``, in file order."""
    mapper = _Mapper(outline, now)
    block = _Block()
    for number, cells in records(stream):
        record_type = cells[0]
        layout = LAYOUTS[record_type]
        if layout.role in ("head", "summary", "foot"):
            continue
        if cells[1] != block.block_id:  # a block may even start with its SU01 records
            block = _Block(cells[1], {}, {})
        if record_type == "SU01":
            yield mapper.usage(number, cells, block)
            continue
        assert block.resources is not None and block.releases is not None
        if layout.role == "resource":
            isrcs = [v for v in cells[layout.index("ISRC")].split("|") if v]
            block.resources[cells[layout.index("ResourceReference")]] = (
                number,
                record_type,
                isrcs,
            )
        elif layout.role == "release":
            block.releases[cells[layout.index("ReleaseReference")]] = []
        elif layout.role == "sub_release":
            used = cells[layout.index("UsedResources")].split("|")
            block.releases[cells[layout.index("ReleaseReference")]] = used


class _Mapper:
    def __init__(self, outline: Outline, now: datetime) -> None:
        self.summaries = outline.summaries
        self.sold_at = datetime.combine(outline.usage_start, time(), UTC).isoformat()
        self.prefix = sale_id_prefix(outline.head["SenderPartyId"], outline.message_id)
        self.now = now
        self.templates: dict[tuple[str, str, str], SaleIn | tuple[str | None, str, str]] = {}

    def usage(self, number: int, cells: list[str], block: _Block) -> Usage:
        def reject(cell: str | None, code: str, reason: str) -> Usage:
            return Usage(number, rejection=Rejection(number, "SU01", cell, code, reason))

        summary = self.summaries.get(cells[_SUMMARY])
        if summary is None:
            return reject("SummaryRecordId", "invalid", f"no summary {cells[_SUMMARY]!r}")
        if cells[_ROYALTY_BEARING] in ("false", "0"):
            return Usage(number)  # not royalty-bearing: nothing to book
        usages, returns = _count(cells[_USAGES]), _count(cells[_RETURNS])
        if isinstance(usages, str) or isinstance(returns, str):
            cell = "Usages" if isinstance(usages, str) else "Returns"
            return reject(cell, "invalid", str(usages if cell == "Usages" else returns))
        if usages == 0 and returns == 0:
            return Usage(number)
        if returns > usages:
            return reject(
                "Returns",
                "unmatched_return",
                f"{returns} returns but {usages} usages on the line: a DSR line does not "
                "name the earlier sale returned, so only returns of the line's own usages "
                "can be booked",
            )
        found = _isrc(cells, block)
        if isinstance(found, tuple):
            return reject(*found)
        if usages > MAX_QUANTITY:
            return reject("Usages", "invalid", f"quantity: at most {MAX_QUANTITY} units a sale")
        template = self._template(summary, found, cells[_PRICE])
        if isinstance(template, tuple):
            return reject(*template)
        sale_id = f"{self.prefix}-{cells[_BLOCK]}-{number}"
        sale = template.model_copy(update={"sale_id": sale_id, "quantity": usages})
        return Usage(number, row=Row(sale_id, sale), returns=returns)

    def _template(
        self, summary: Summary, isrc: str, price: str
    ) -> SaleIn | tuple[str | None, str, str]:
        """The sale of one (ISRC, summary, price), validated once through ``SaleIn``
        exactly as a posted sale is; lines differ only in sale_id and quantity (checked
        above against the same bound), so each line is a copy of it."""
        key = (isrc, summary.record_id, price)
        found = self.templates.get(key)
        if found is None:
            if len(self.templates) >= _TEMPLATES:
                self.templates.clear()
            row = validate(self._sale(summary, isrc, price), self.now)
            found = row.sale if row.sale is not None else _first_error(row, summary)
            self.templates[key] = found
        return found

    def _sale(self, summary: Summary, isrc: str, price: str) -> dict[str, Any]:
        return {
            "sale_id": f"{self.prefix}-template",
            "isrc": isrc,
            "territory": summary.territory,
            "sold_at": self.sold_at,
            "quantity": 1,
            "unit_price": price,
            "currency": summary.currency,
        }


def _count(text: str) -> int | str:
    """A count of units, or why the cell is not one."""
    if not text.isdigit():
        return f"{text!r} is not a whole number of units (0 or more)"
    return int(text)


def _isrc(cells: list[str], block: _Block) -> str | tuple[str, str, str]:
    """The ISRC the line sold, or (cell, code, reason) when the block does not say it."""
    resources = block.resources or {}
    if not resources:
        return (
            "TransactedResource",
            "no_resource",
            f"block {cells[_BLOCK]} has no resource record (AS01.01 or AS02.02)",
        )
    reference = cells[_RESOURCE]
    if not reference:
        used = (block.releases or {}).get(cells[_RELEASE])
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
    line, record_type, isrcs = resource
    if not isrcs:
        return "ISRC", "invalid", f"resource {reference!r} ({record_type}, line {line}) has no ISRC"
    return isrcs[0]


def _first_error(row: Row, summary: Summary) -> tuple[str | None, str, str]:
    error = row.errors[0] if row.errors else {"loc": [], "msg": "invalid"}
    field = str(error["loc"][0]) if error.get("loc") else None
    cell = _SOURCE.get(field or "", field)
    where = ""
    if field in ("territory", "currency"):
        where = f" ({summary.record_type} {summary.record_id}, line {summary.line})"
    return cell, "invalid", f"{field}{where}: {error['msg']}"

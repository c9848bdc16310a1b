"""Strict parser/validator for DDEX DSR flat files, BasicAudioProfile 1.2 (multi-record blocks).

Pure (no database, no HTTP, no clock); for our tests and for societies' tooling. Rules were
checked against ddexnet/dsrf ``schemas/BasicAudioProfile/1.2`` (cell order, patterns) and
``schemas/avs/current`` (code lists; territories are ISO codes, TIS codes or ``Worldwide``),
and against the DSR standard: Part 1 clause 6.6.4 escaping (TAB as ``\\<TAB>``, ``|`` as
``\\\\|``, ``\\`` as ``\\\\\\``; no escape exists for CR/LF), 6.6.11 decimals (plain
digits, zero is ``0``) and Part 8's FOOT, whose NumberOfLinesInFile counts every line
including HEAD, FOOT and ``#`` lines. Only AS02.02 + SU01 blocks are understood: the other
BasicAudioProfile 1.2 record types are reported as unsupported, not accepted unchecked.
Stricter than the XSD on purpose: ISRCs must be upper case and ISWC check digits must verify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from service.statements.render.dsr_layout import (
    SCHEMAS,
    Cells,
    CellSpec,
    DsrSyntaxError,
    check_cell,
    parse_record,
)


@dataclass(frozen=True, slots=True)
class DsrIssue:
    line: int
    record_type: str | None
    cell: str | None
    message: str

    def __str__(self) -> str:
        where = " ".join(p for p in (self.record_type, self.cell) if p)
        return f"line {self.line}: {where + ': ' if where else ''}{self.message}"


class DsrValidationError(ValueError):
    def __init__(self, report: DsrReport) -> None:
        shown = "\n".join(str(issue) for issue in report.errors[:20])
        super().__init__(f"invalid DSR file ({len(report.errors)} errors):\n{shown}")
        self.report = report


@dataclass
class DsrReport:
    errors: list[DsrIssue] = field(default_factory=list)
    truncated: bool = False  # more errors existed than max_errors
    lines: int = 0
    comment_lines: int = 0
    summary_records: int = 0
    blocks: int = 0
    sales_records: int = 0
    head: dict[str, str] = field(default_factory=dict)
    foot: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_if_invalid(self) -> None:
        if self.errors:
            raise DsrValidationError(self)


def validate_dsr(text: str, *, max_errors: int = 1000) -> DsrReport:
    """Check a whole DSR file; every problem found becomes a DsrIssue in the report.

    Collecting (rather than stopping at the first problem) lets a society see all defects of
    a statement at once; call ``report.raise_if_invalid()`` to turn them into an exception.
    """
    checker = _Checker(max_errors)
    checker.run(text)
    return checker.report


class _Checker:
    def __init__(self, max_errors: int) -> None:
        self.report = DsrReport()
        self.max_errors = max_errors
        self.summaries: dict[str, str] = {}  # SummaryRecordId -> CommercialModel
        self.block_ids: set[str] = set()
        self.sale_ids: set[str] = set()
        self.block: str | None = None  # BlockId of the block being read
        self.block_refs: set[str] = set()
        self.block_has_sales = False
        self.block_line = 0
        self.in_blocks = False
        self.foot_line = 0
        self.handlers: dict[str, Callable[[int, Cells], None]] = {
            "HEAD": self._head,
            "SY02.02": self._summary,
            "AS02.02": self._resource,
            "SU01": self._sale,
            "FOOT": self._foot,
        }

    def error(self, line: int, rtype: str | None, cell: str | None, message: str) -> None:
        if len(self.report.errors) >= self.max_errors:
            self.report.truncated = True
        else:
            self.report.errors.append(DsrIssue(line, rtype, cell, message))

    def run(self, text: str) -> None:
        if text.startswith("\ufeff"):
            self.error(1, None, None, "byte-order mark before HEAD")
            text = text[1:]
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        else:
            self.error(len(lines), None, None, "last record is not terminated by a line feed")
        self.report.lines = len(lines)
        for no, line in enumerate(lines, start=1):
            try:
                self._line(no, line.removesuffix("\r"))  # CRLF is an allowed record delimiter
            except DsrSyntaxError as exc:
                self.error(no, exc.record_type, None, str(exc))
        self._finish()

    def _line(self, no: int, line: str) -> None:
        if self.foot_line:
            raise DsrSyntaxError("nothing may follow the FOOT record")
        if "\r" in line:
            raise DsrSyntaxError("carriage return inside a record (values cannot hold CR/LF)")
        if not line:
            raise DsrSyntaxError("empty records are not permitted")
        if line.startswith("#"):  # records to be ignored; still counted in NumberOfLinesInFile
            self.report.comment_lines += 1
            if no == 1:
                raise DsrSyntaxError("the first record must be HEAD, not a '#' line")
            return
        rtype, cells = parse_record(line)
        for spec in SCHEMAS[rtype]:
            self._cell(no, rtype, spec, cells[spec.name])
        self.handlers[rtype](no, cells)

    def _cell(self, no: int, rtype: str, spec: CellSpec, values: list[str]) -> None:
        if len(values) > 1 and not spec.repeatable:
            self.error(no, rtype, spec.name, "unescaped '|' in a single-value cell")
            return
        present = [v for v in values if v.strip()]
        if not present:
            if spec.mandatory:
                self.error(no, rtype, spec.name, "mandatory cell is empty")
            return
        # Empty items inside repeated cells are allowed: they keep names and ids aligned.
        for value in present:
            message = spec.check(value)
            if message:
                self.error(no, rtype, spec.name, message)

    def _head(self, no: int, c: Cells) -> None:
        if self.report.head or no != 1:
            self.error(no, "HEAD", None, "HEAD must be the first record and occur exactly once")
            if self.report.head:
                return
        self.report.head = {name: "|".join(v) for name, v in c.items()}
        number, files = c["FileNumber"][0], c["NumberOfFiles"][0]
        if number.isdigit() and files.isdigit() and not 1 <= int(number) <= int(files):
            self.error(no, "HEAD", "FileNumber", f"{number} is not within 1..{files}")
        start, end = c["UsageStartDate"][0], c["UsageEndDate"][0]
        if not (check_cell("date", start) or check_cell("date", end)) and start > end:
            self.error(no, "HEAD", "UsageEndDate", f"{end} is before UsageStartDate {start}")

    def _summary(self, no: int, c: Cells) -> None:
        self.report.summary_records += 1
        if self.in_blocks:
            self.error(no, "SY02.02", None, "summary records must precede every block")
        sid = c["SummaryRecordId"][0]
        if sid in self.summaries:
            self.error(no, "SY02.02", "SummaryRecordId", f"{sid!r} is used twice")
        self.summaries[sid] = c["CommercialModel"][0]
        if c["RightsTypePercentage"][0] and not c["RightsType"][0]:
            self.error(no, "SY02.02", "RightsTypePercentage", "given without a RightsType")

    def _resource(self, no: int, c: Cells) -> None:
        self.in_blocks = True
        bid, ref = c["BlockId"][0], c["ResourceReference"][0]
        if self.block == bid and not self.block_has_sales:  # another resource of this block
            if ref in self.block_refs:
                self.error(no, "AS02.02", "ResourceReference", f"{ref!r} is used twice")
            self.block_refs.add(ref)
            return
        self._close_block()
        self.report.blocks += 1
        if bid in self.block_ids:
            self.error(no, "AS02.02", "BlockId", f"{bid!r} is already used by an earlier block")
        self.block_ids.add(bid)
        self.block, self.block_refs, self.block_has_sales, self.block_line = bid, {ref}, False, no

    def _close_block(self) -> None:
        if self.block is not None and not self.block_has_sales:
            self.error(self.block_line, "AS02.02", None, f"block {self.block!r} has no SU01")

    def _sale(self, no: int, c: Cells) -> None:
        self.report.sales_records += 1
        if self.block is None:
            self.error(no, "SU01", None, "SU01 outside a block (no AS02.02 before it)")
            return
        self.block_has_sales = True
        if c["BlockId"][0] != self.block:
            self.error(no, "SU01", "BlockId", f"differs from its block's BlockId {self.block!r}")
        sid = c["SummaryRecordId"][0]
        model = self.summaries.get(sid)
        if model is None:
            self.error(no, "SU01", "SummaryRecordId", f"{sid!r} refers to no SY02.02 record")
        tx = c["SalesTransactionId"][0]
        if tx in self.sale_ids:
            self.error(no, "SU01", "SalesTransactionId", f"{tx!r} is used twice")
        self.sale_ids.add(tx)
        release, resource = c["TransactedRelease"][0], c["TransactedResource"][0]
        if bool(release) == bool(resource):
            self.error(no, "SU01", None, "give exactly one of TransactedRelease/TransactedResource")
        elif release:
            self.error(no, "SU01", "TransactedRelease", f"{release!r} names no release record")
        elif resource not in self.block_refs:
            self.error(no, "SU01", "TransactedResource", f"{resource!r} is not in this block")
        if model == "PayAsYouGoModel" and not c["PriceConsumerPaidExcSalesTax"][0]:
            self.error(no, "SU01", "PriceConsumerPaidExcSalesTax", "mandatory for PayAsYouGoModel")

    def _foot(self, no: int, c: Cells) -> None:
        self._close_block()
        self.block = None
        self.foot_line = no
        self.report.foot = {name: "|".join(v) for name, v in c.items()}

    def _finish(self) -> None:
        report = self.report
        if not report.head:
            self.error(1, None, None, "the file must start with a HEAD record")
        if not self.foot_line:
            self._close_block()
            self.error(report.lines, None, None, "missing FOOT record (it must be the last line)")
            return
        self._count("NumberOfLinesInFile", report.lines)
        self._count("NumberOfSummaryRecords", report.summary_records)
        self._count("NumberOfBlocksInFile", report.blocks)
        files = report.head.get("NumberOfFiles")
        if not files or report.head.get("FileNumber") != files:
            return  # report-wide counts are only mandatory in the last file
        for name, actual in (
            ("NumberOfLinesInReport", report.lines),
            ("NumberOfBlocksInReport", report.blocks),
        ):
            value = report.foot.get(name, "")
            if not value:
                self.error(self.foot_line, "FOOT", name, "mandatory in the last file of a report")
            elif files == "1":
                self._count(name, actual)
            elif value.isdigit() and int(value) < actual:
                self.error(self.foot_line, "FOOT", name, f"{value} < this file's {actual}")

    def _count(self, name: str, actual: int) -> None:
        value = self.report.foot.get(name, "")
        if value.isdigit() and int(value) != actual:
            self.error(self.foot_line, "FOOT", name, f"says {value} but the file has {actual}")

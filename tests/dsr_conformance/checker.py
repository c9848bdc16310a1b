"""Independent DDEX DSR conformance checker (BasicAudioProfile 1.2), for the test suite.

``check_dsr(text, file_name)`` returns every violation found, each locating the line, record
and cell, e.g. ``line 7, SU01 cell 2 (BlockId): 'B1' is not an integer``. The rules live in
``rules`` (with their sources); this module only applies them. It deliberately imports
nothing from ``service``: it must not share a reading of the standard with the writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.dsr_conformance import filename, structure
from tests.dsr_conformance.cells import EscapeError, cell_problems, split_record
from tests.dsr_conformance.rules import (
    NAME_ID_PAIRS,
    PROFILE,
    PROFILE_VERSION,
    RECORDS,
    SRB_HEAD,
    Record,
)

SRB_ONLY = frozenset(("SR01", "SR02", "SRFO"))


@dataclass(frozen=True, slots=True)
class Violation:
    where: str  # "line 7, SU01 cell 2 (BlockId)", "line 7", "file name" or "file"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(slots=True)
class Parsed:
    """One record: its line, type and cells by name (each a list of values)."""

    line: int
    record_type: str
    cells: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """The cell's single value ('' when absent or empty)."""
        values = self.cells.get(name, [""])
        return values[0] if len(values) == 1 else "|".join(values)


@dataclass(slots=True)
class Report:
    lines: int = 0
    records: list[Parsed] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.violations.append(Violation(where, message))


def check_dsr(text: str, file_name: str, *, first_block_id: int | None = None) -> list[Violation]:
    """All violations of ``text`` (one DSR file) named ``file_name``; [] means conformant.

    ``first_block_id`` is for the 2nd..nth file of a multi-file report, whose BlockIds go on
    from the previous file's; by default file 1 must start at 1 and later files anywhere.
    """
    report = Report()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the last record's terminator, not an extra line
    report.lines = len(lines)
    srb = any(line.split("\t", 1)[0] in SRB_ONLY for line in lines)
    for number, line in enumerate(lines, 1):
        _read_line(report, number, line.removesuffix("\r"), srb)
    records = report.records
    structure.check_order(report, records, srb)
    blocks = structure.check_blocks(report, records, first_block_id)
    structure.check_foot(report, records, srb, blocks)
    _check_head(report, records)
    _check_references(report, records)
    _check_file_name(report, records, file_name)
    return report.violations


def _rule_for(record_type: str, srb: bool) -> Record | None:
    if record_type == "HEAD" and srb:
        return SRB_HEAD
    rule = RECORDS.get(record_type)
    if rule is None or (rule.srb and not srb and rule.role != "summary"):
        return None
    return rule


def _read_line(report: Report, number: int, line: str, srb: bool) -> None:
    where = f"line {number}"
    if line.startswith("#"):
        return  # a comment (e.g. column headings): counted, not read
    if not line.strip():
        report.add(where, "empty record (DDEX's reference parser rejects empty records)")
        return
    try:
        cells = split_record(line)
    except EscapeError as error:
        report.add(where, f"bad escape: {error} (DSR Part 1 clause 6.6.4)")
        # Keep the record's place in the file (its type and block) for the file-level rules.
        cells, broken = [[cell] for cell in line.split("\t")], True
    else:
        broken = False
    record_type = "|".join(cells[0])
    rule = _rule_for(record_type, srb)
    if rule is None:
        report.add(where, f"record type {record_type!r} is not one of BasicAudioProfile 1.2")
        return
    parsed = Parsed(number, record_type)
    report.records.append(parsed)
    if len(cells) != len(rule.cells):
        if not broken:
            count = f"{len(cells)} cells, but the XSD's sequence for {record_type} has"
            report.add(f"{where}, {record_type}", f"{count} {len(rule.cells)}")
        if rule.role == "block" and len(cells) > 1:
            parsed.cells["BlockId"] = cells[1]  # keep blocks apart despite the bad count
        return
    if broken:  # positions are still right: keep the cells for the file-level rules
        parsed.cells = {c.name: values for c, values in zip(rule.cells, cells, strict=True)}
        return
    for position, (cell_rule, values) in enumerate(zip(rule.cells, cells, strict=True), 1):
        parsed.cells[cell_rule.name] = values
        for problem in cell_problems(cell_rule, values):
            report.add(f"{where}, {record_type} cell {position} ({cell_rule.name})", problem)
    _check_pairs(report, parsed)


def _check_pairs(report: Report, record: Parsed) -> None:
    for names, ids in NAME_ID_PAIRS:
        named = [v for v in record.cells.get(names, []) if v]
        identified = [v for v in record.cells.get(ids, []) if v]
        if len(identified) > len(named):
            report.add(
                f"line {record.line}, {record.record_type} ({ids})",
                f"{len(identified)} ids for {len(named)} {names} names (at most one each)",
            )


def _check_head(report: Report, records: list[Parsed]) -> None:
    head = next((r for r in records if r.record_type == "HEAD"), None)
    if head is None:
        return
    where = f"line {head.line}, HEAD"
    if head.cells and head.get("Profile") != PROFILE:
        report.add(where, f"Profile {head.get('Profile')!r} is not {PROFILE!r}")
    if head.cells and head.get("ProfileVersion") != PROFILE_VERSION:
        report.add(where, f"ProfileVersion {head.get('ProfileVersion')!r} is not '1.2'")
    number, files = head.get("FileNumber"), head.get("NumberOfFiles")
    if number.isdigit() and files.isdigit() and not 1 <= int(number) <= int(files):
        report.add(where, f"FileNumber {number} is not within 1..NumberOfFiles {files}")
    start, end = head.get("UsageStartDate"), head.get("UsageEndDate")
    if start and end and start > end:
        report.add(where, f"UsageStartDate {start} is after UsageEndDate {end}")


def _check_references(report: Report, records: list[Parsed]) -> None:
    summaries: dict[str, Parsed] = {}
    for record in records:
        if RECORDS[record.record_type].role != "summary":
            continue
        sid = record.get("SummaryRecordId")
        if sid in summaries:
            report.add(
                f"line {record.line}, {record.record_type}", f"SummaryRecordId {sid!r} repeated"
            )
        summaries.setdefault(sid, record)
        if record.get("RightsTypePercentage") and not record.get("RightsType"):
            report.add(
                f"line {record.line}, {record.record_type}",
                "RightsTypePercentage given without a RightsType",
            )
    for record in records:
        if RECORDS[record.record_type].role not in ("block", "single"):
            continue
        if "SummaryRecordId" not in record.cells:
            continue
        sid = record.get("SummaryRecordId")
        summary = summaries.get(sid)
        if summary is None:
            report.add(
                f"line {record.line}, {record.record_type} (SummaryRecordId)",
                f"{sid!r} is the SummaryRecordId of no summary record in the file",
            )
        elif (
            summary.get("CommercialModel") == "PayAsYouGoModel"
            and record.record_type in ("SU01", "SU02", "SR01")
            and not record.get("PriceConsumerPaidExcSalesTax")
        ):
            report.add(
                f"line {record.line}, {record.record_type} (PriceConsumerPaidExcSalesTax)",
                f"mandatory: summary {sid!r} is PayAsYouGoModel",
            )


def _check_file_name(report: Report, records: list[Parsed], file_name: str) -> None:
    problems: list[str] = []
    name = filename.parse_file_name(file_name, problems)
    head = next((r for r in records if r.record_type == "HEAD"), None)
    if name is not None and head is not None:
        territories = {
            r.get("Territory") for r in records if RECORDS[r.record_type].role == "summary"
        }
        problems += filename.head_problems(name, {k: head.get(k) for k in head.cells}, territories)
        _check_recipient(report, head, name.elements["MessageRecipient"])
    for problem in problems:
        report.add("file name", problem)


def _check_recipient(report: Report, head: Parsed, recipient: str) -> None:
    """XSD definitions: RecipientPartyId and RecipientName are mandatory when the report goes
    to one recipient and absent when it goes to several (Part 1 clause 8.1: the file name's
    MessageRecipient is omitted exactly then)."""
    if not head.cells:
        return
    where = f"line {head.line}, HEAD"
    for cell in ("RecipientPartyId", "RecipientName"):
        if recipient and not head.get(cell):
            report.add(f"{where} ({cell})", "mandatory for a report to one recipient, but empty")
        if not recipient and head.get(cell):
            report.add(f"{where} ({cell})", "must be absent for several recipients")

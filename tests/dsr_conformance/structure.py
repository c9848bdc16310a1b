"""File-level rules: record order, blocks and BlockIds, references inside blocks, FOOT counts.

Order: DSR Part 1 clause 6.2 and the XSD's ``BasicAudioProfile`` / ``BasicAudioProfileSRB``
sequences. Blocks: Part 1 clause 6.4.2 (BlockIds 1, 2, ... in file order; all records of a
block share it) and 6.3 (a block is never split). FOOT: the XSD's and Part 8's definitions.
Sources in detail: the ``rules`` module docstring.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.dsr_conformance.rules import (
    BLOCK_GRAMMAR,
    BLOCK_GRAMMAR_TEXT,
    BLOCK_LETTER,
    MRB_SUMMARIES,
    RECORDS,
    SRB_SUMMARIES,
)

if TYPE_CHECKING:
    from tests.dsr_conformance.checker import Parsed, Report

BEFORE_HEAD, AFTER_HEAD, SUMMARIES, BODY, DONE = range(5)


def _misplaced(role: str, phase: int, srb: bool, record_type: str) -> str | None:
    """Why a record of ``role`` may not come now, or None (and how the phase moves on)."""
    if phase == DONE:
        return "comes after the FOOT record, which must be the last record"
    if role == "head":
        return None if phase == BEFORE_HEAD else "a second HEAD record (exactly one is allowed)"
    if phase == BEFORE_HEAD:
        return "comes before the HEAD record, which must be the first record"
    allowed = SRB_SUMMARIES if srb else MRB_SUMMARIES
    if role == "summary":
        if record_type not in allowed:
            return "is a summary record of the single-record-block variant only"
        if phase == BODY:
            return "summary record after the first block (summaries precede blocks)"
        return None
    if phase == AFTER_HEAD:
        return "no summary record between HEAD and this record (one or more are required)"
    if role == "block" and srb:
        return "is a multi-record-block record in a single-record-block (SR01/SR02) file"
    if role == "foot" and (record_type == "SRFO") != srb:
        return "wrong footer type for this variant (FOOT for blocks, SRFO for SR01/SR02)"
    return None


def _next_phase(role: str, phase: int) -> int:
    return {"head": AFTER_HEAD, "summary": SUMMARIES, "foot": DONE}.get(role, BODY)


def check_order(report: Report, records: list[Parsed], srb: bool) -> None:
    phase = BEFORE_HEAD
    singles: set[str] = set()
    for record in records:
        role = RECORDS[record.record_type].role
        problem = _misplaced(role, phase, srb, record.record_type)
        if problem:
            report.add(f"line {record.line}, {record.record_type}", problem)
        if role == "single":
            singles.add(record.record_type)
        if not (role == "head" and phase != BEFORE_HEAD):
            phase = max(phase, _next_phase(role, phase))
    if phase == BEFORE_HEAD:
        report.add("file", "no HEAD record")
    if phase != DONE:
        report.add("file", "no footer record (FOOT) at the end")
    if len(singles) > 1:
        report.add("file", "mixes SR01 and SR02 records (the XSD allows one kind per file)")


def check_blocks(report: Report, records: list[Parsed], first_block_id: int | None) -> int:
    """Check BlockIds and each block's content; returns the number of blocks in the file."""
    blocks: list[list[Parsed]] = []
    for record in records:
        if RECORDS[record.record_type].role != "block":
            continue
        if blocks and blocks[-1][0].get("BlockId") == record.get("BlockId"):
            blocks[-1].append(record)
        else:
            blocks.append([record])
    head = next((r for r in records if r.record_type == "HEAD"), None)
    expected = first_block_id
    if expected is None and (head is None or head.get("FileNumber") in ("1", "")):
        expected = 1
    seen: set[str] = set()
    for block in blocks:
        expected = _check_block_id(report, block[0], expected, seen)
        _check_block_content(report, block)
    return len(blocks)


def _check_block_id(
    report: Report, first: Parsed, expected: int | None, seen: set[str]
) -> int | None:
    block_id = first.get("BlockId")
    where = f"line {first.line}, {first.record_type} cell 2 (BlockId)"
    if block_id in seen:
        report.add(where, f"BlockId {block_id!r} used by an earlier block (blocks are contiguous)")
    seen.add(block_id)
    if not re.fullmatch("[0-9]+", block_id):
        return None if expected is None else expected + 1  # the cell check reported it
    if expected is not None and int(block_id) != expected:
        report.add(
            where, f"BlockId {block_id} where {expected} is due (blocks are numbered 1, 2, ...)"
        )
    return int(block_id) + 1


def _check_block_content(report: Report, block: list[Parsed]) -> None:
    letters = "".join(BLOCK_LETTER[r.record_type] for r in block)
    where = f"line {block[0].line}, block {block[0].get('BlockId')!r}"
    if not re.fullmatch(BLOCK_GRAMMAR, letters):
        kinds = ", ".join(r.record_type for r in block)
        report.add(where, f"records {kinds} do not follow the XSD block {BLOCK_GRAMMAR_TEXT}")
    resources = _references(report, block, ("AS01.01", "AS02.02"), "ResourceReference")
    releases = _references(report, block, ("RE01", "RE02"), "ReleaseReference")
    for record in block:
        at = f"line {record.line}, {record.record_type}"
        if record.record_type == "RE02":
            for used in record.cells.get("UsedResources", []):
                if used and used not in resources:
                    report.add(f"{at} (UsedResources)", f"{used!r} is no resource of this block")
        if record.record_type not in ("SU01", "SU02") or "TransactedResource" not in record.cells:
            continue
        release, resource = record.get("TransactedRelease"), record.get("TransactedResource")
        if bool(release) == bool(resource):
            report.add(at, "needs exactly one of TransactedRelease and TransactedResource")
        elif resource and resource not in resources:
            report.add(f"{at} (TransactedResource)", f"{resource!r} is no resource of this block")
        elif release and release not in releases:
            report.add(f"{at} (TransactedRelease)", f"{release!r} is no release of this block")


def _references(report: Report, block: list[Parsed], types: tuple[str, ...], cell: str) -> set[str]:
    found: set[str] = set()
    for record in block:
        if record.record_type in types and cell in record.cells:
            reference = record.get(cell)
            if reference in found:
                report.add(f"line {record.line}, {record.record_type} ({cell})", "repeated")
            found.add(reference)
    return found


def check_foot(report: Report, records: list[Parsed], srb: bool, blocks: int) -> None:
    foot = next((r for r in reversed(records) if RECORDS[r.record_type].role == "foot"), None)
    if foot is None or not foot.cells:
        return
    summaries = sum(RECORDS[r.record_type].role == "summary" for r in records)
    lines = "NumberOfLinesInReport" if srb else "NumberOfLinesInFile"
    due = {lines: report.lines, "NumberOfSummaryRecords": summaries}
    if not srb:
        due["NumberOfBlocksInFile"] = blocks
        due |= _report_counts(report, foot, records, blocks)
    cells = [c.name for c in RECORDS[foot.record_type].cells]
    for name, count in due.items():
        said = foot.get(name)
        if said != str(count):
            where = f"line {foot.line}, {foot.record_type} cell {cells.index(name) + 1} ({name})"
            report.add(where, f"says {said!r}, but the file has {count}")


def _report_counts(
    report: Report, foot: Parsed, records: list[Parsed], blocks: int
) -> dict[str, int]:
    """Report-wide counts: mandatory in the last file, equal to the file's for a single file."""
    head = next((r for r in records if r.record_type == "HEAD"), None)
    number, files = (head.get("FileNumber"), head.get("NumberOfFiles")) if head else ("", "")
    if number != files:
        return {}
    if files == "1":
        return {"NumberOfLinesInReport": report.lines, "NumberOfBlocksInReport": blocks}
    for name in ("NumberOfLinesInReport", "NumberOfBlocksInReport"):
        if not foot.get(name):
            report.add(f"line {foot.line}, FOOT ({name})", "mandatory in the last file, but empty")
    return {}

"""Reading a DSR flat file line by line, and the structural pass that runs before booking.

A file is read from a seekable binary stream, never whole: ``records`` yields one split
record at a time, and ``outline`` checks the structure the standard prescribes (DSR Part 1
clauses 6.2-6.4, the XSD's record sequence, FOOT's counts as Part 8 defines them) while
keeping only the HEAD, the summaries (few) and the current block's id. The first broken
line raises ``DsrBroken``. The escapes of Part 1 clause 6.6.4 are decoded here; no
maintained library reads DSR flat files (DDEX's own parser is a Python 2 tool, not a
package), so this reader is hand-written.
"""

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from service.sales.dsr_intake.exceptions import DsrBroken
from service.sales.dsr_intake.records import LAYOUTS, PROFILE, PROFILE_VERSIONS, unknown

# Part 1 clause 6.6.4: TAB in a value is "\" TAB, "|" is "\\|", "\" is "\\\"; any other
# backslash is an error. The three escapes are prefix-free, so one left-to-right scan works.
_TOKEN = re.compile(r"\\\t|\\\\\\|\\\\\||[^\\\t]+|\t|\\")
_HEAD = LAYOUTS["HEAD"]
_FOOT = LAYOUTS["FOOT"]


def split_record(line: str, number: int) -> list[str]:
    """The cells of one record, escapes decoded (a multi-value cell keeps its ``|``)."""
    if "\\" not in line:
        return line.split("\t")
    cells: list[str] = []
    buf: list[str] = []
    for match in _TOKEN.finditer(line):
        piece = match.group()
        if piece == "\t":
            cells.append("".join(buf))
            buf = []
        elif piece == "\\":
            raise DsrBroken(
                f"invalid escape at column {match.start() + 1} (DSR Part 1 clause 6.6.4)",
                line=number,
                record_type=line.split("\t", 1)[0],
                cell=None,
            )
        else:
            buf.append(piece[-1] if piece[0] == "\\" else piece)
    cells.append("".join(buf))
    return cells


_BLOCK = 1 << 20  # bytes read at a time: one decode and one split per MiB, not per line


def lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line, without its terminator; NUL and non-UTF-8
    text break the file.

    The stream is read a MiB at a time and cut after its last newline (a newline byte is
    never inside a UTF-8 sequence), so decoding and splitting run once per MiB at C
    speed; per-line Python work was most of a pass's time. A block with a NUL or a bad
    byte is read again line by line to name the first broken line.
    """
    number = 0
    pending: list[bytes] = []  # the start of a line that continues in the next read
    while block := stream.read(_BLOCK):
        cut = block.rfind(b"\n") + 1
        if not cut:
            pending.append(block)
            continue
        whole = b"".join([*pending, block[:cut]])
        pending = [block[cut:]]
        yield from _block_lines(whole, number)
        number += whole.count(b"\n")
    if tail := b"".join(pending):
        yield from _block_lines(tail, number)


def _block_lines(block: bytes, before: int) -> Iterator[tuple[int, str]]:
    """The lines of ``block`` (whole lines), numbered after line ``before``."""
    text = None
    if b"\x00" not in block:
        with contextlib.suppress(UnicodeDecodeError):
            text = block.decode("utf-8")
    if text is None:
        yield from _checked_lines(block, before)
        return
    pieces = text.split("\n")
    if pieces[-1] == "":
        pieces.pop()  # the block ends with a newline: no line after it
    if before == 0:
        pieces[0] = pieces[0].removeprefix("\ufeff")
    for number, piece in enumerate(pieces, before + 1):
        yield number, piece.rstrip("\r")


def _checked_lines(block: bytes, before: int) -> Iterator[tuple[int, str]]:
    """Line by line, so that the first NUL or non-UTF-8 line is the one refused."""
    raws = block.split(b"\n")
    if raws[-1] == b"":
        raws.pop()
    for number, raw in enumerate(raws, before + 1):
        if b"\x00" in raw:
            raise DsrBroken("contains a NUL character", line=number, record_type=None, cell=None)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DsrBroken(
                f"is not UTF-8 ({exc.reason} at byte {exc.start})",
                line=number,
                record_type=None,
                cell=None,
            ) from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text.rstrip("\r")


def records(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every record; comment lines (``#``) are skipped."""
    for number, text in lines(stream):
        if not text.startswith("#"):
            yield number, split_record(text, number)


@dataclass(frozen=True, slots=True)
class Summary:
    record_id: str
    line: int
    record_type: str
    territory: str
    currency: str
    commercial_model: str


@dataclass(slots=True)
class Outline:
    """What the structural pass learnt: the HEAD's cells, the summaries, the counts."""

    head: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, Summary] = field(default_factory=dict)
    lines: int = 0
    blocks: int = 0
    usage_lines: int = 0

    @property
    def message_id(self) -> str:
        return self.head["MessageId"]

    @property
    def file_number(self) -> int:
        return int(self.head["FileNumber"])

    @property
    def usage_start(self) -> date:
        return date.fromisoformat(self.head["UsageStartDate"])


def outline(stream: BinaryIO) -> Outline:
    """Check the file's structure in one streaming pass; ``DsrBroken`` at the first break."""
    checker = _Checker()
    for number, text in lines(stream):
        checker.line(number, text)
    return checker.finish()


_BEFORE_HEAD, _AFTER_HEAD, _SUMMARIES, _BLOCKS, _DONE = range(5)


@dataclass(slots=True)
class _Checker:
    found: Outline = field(default_factory=Outline)
    phase: int = _BEFORE_HEAD
    block: str = ""  # the current block's BlockId
    block_has_usage: bool = True
    last: int = 0

    def line(self, number: int, text: str) -> None:
        self.last = number
        if self.phase == _DONE:
            raise DsrBroken(
                "comes after the FOOT, which ends the file", line=number, record_type=None
            )
        if text.startswith("#") and self.phase != _BEFORE_HEAD:
            return  # a heading line (Part 1 clause 6.6.17): counted by FOOT, not read
        if not text:
            raise DsrBroken("is an empty record", line=number, record_type=None)
        cells = split_record(text, number)
        record_type = cells[0]
        layout = LAYOUTS.get(record_type)
        if layout is None:
            raise DsrBroken(unknown(record_type), line=number, record_type=record_type)
        if len(cells) != len(layout.cells) + 1:
            raise DsrBroken(
                f"has {len(cells)} cells; the XSD's {record_type} has {len(layout.cells) + 1}",
                line=number,
                record_type=record_type,
            )
        if layout.role == "usage" and cells[1] == self.block and self.phase == _BLOCKS:
            self.found.usage_lines += 1  # the hot path: one more sale of the current block
            self.block_has_usage = True
            return
        self._record(number, layout.role, cells)

    def _record(self, number: int, role: str, cells: list[str]) -> None:
        record_type = cells[0]
        if self.phase == _BEFORE_HEAD and role != "head":
            raise DsrBroken(
                "comes before the HEAD, which must be the first record",
                line=number,
                record_type=record_type,
            )
        if role == "head":
            if self.phase != _BEFORE_HEAD:
                raise DsrBroken(
                    "is a second HEAD (a file has one)", line=number, record_type="HEAD"
                )
            self._head(number, cells)
        elif role == "summary":
            self._summary(number, cells)
        elif role == "foot":
            self._foot(number, cells)
        else:
            self._block_record(number, role, cells)

    def _head(self, number: int, cells: list[str]) -> None:
        head = dict(zip(_HEAD.cells, cells[1:], strict=True))
        problems = _head_problems(head)
        if problems:
            cell, reason = problems[0]
            raise DsrBroken(reason, line=number, record_type="HEAD", cell=cell)
        self.found.head = head
        self.phase = _AFTER_HEAD

    def _summary(self, number: int, cells: list[str]) -> None:
        record_type = cells[0]
        if self.phase == _BLOCKS:
            raise DsrBroken(
                "is a summary after the first block (summaries come first)",
                line=number,
                record_type=record_type,
            )
        layout = LAYOUTS[record_type]
        record_id = cells[1]
        if not record_id or record_id in self.found.summaries:
            reason = "is empty" if not record_id else f"{record_id!r} is used by an earlier summary"
            raise DsrBroken(reason, line=number, record_type=record_type, cell="SummaryRecordId")
        self.found.summaries[record_id] = Summary(
            record_id,
            number,
            record_type,
            territory=cells[layout.index("Territory")],
            currency=cells[layout.index("CurrencyOfReporting")],
            commercial_model=cells[layout.index("CommercialModel")],
        )
        self.phase = _SUMMARIES

    def _block_record(self, number: int, role: str, cells: list[str]) -> None:
        record_type, block_id = cells[0], cells[1]
        if self.phase == _AFTER_HEAD:
            raise DsrBroken(
                "comes before any summary record (one or more follow the HEAD)",
                line=number,
                record_type=record_type,
            )
        if block_id != self.block or self.phase != _BLOCKS:
            self._new_block(number, record_type, block_id)
        elif self.block_has_usage:
            raise DsrBroken(
                f"follows the block's SU01 records (a block ends with its sales; "
                f"BlockId {block_id} is reused)",
                line=number,
                record_type=record_type,
                cell="BlockId",
            )
        if role == "usage":
            self.found.usage_lines += 1
            self.block_has_usage = True

    def _new_block(self, number: int, record_type: str, block_id: str) -> None:
        if not self.block_has_usage:
            raise DsrBroken(
                f"starts a new block, but block {self.block} has no SU01 record",
                line=number,
                record_type=record_type,
            )
        if not (block_id.isascii() and block_id.isdigit()):  # int() refuses "²"
            raise DsrBroken(
                f"{block_id!r} is not a whole number (Part 1 clause 6.4.2)",
                line=number,
                record_type=record_type,
                cell="BlockId",
            )
        due = int(self.block) + 1 if self.block else None
        if due is None and self.found.file_number == 1:
            due = 1
        if due is not None and int(block_id) != due:
            raise DsrBroken(
                f"BlockId {block_id} where {due} is due (blocks are numbered "
                "1, 2, ... in file order)",
                line=number,
                record_type=record_type,
                cell="BlockId",
            )
        self.block, self.block_has_usage, self.phase = block_id, False, _BLOCKS
        self.found.blocks += 1

    def _foot(self, number: int, cells: list[str]) -> None:
        if self.phase == _AFTER_HEAD:
            raise DsrBroken("comes before any summary record", line=number, record_type="FOOT")
        if not self.block_has_usage:
            raise DsrBroken(
                f"ends the file, but block {self.block} has no SU01 record",
                line=number,
                record_type="FOOT",
            )
        foot = dict(zip(_FOOT.cells, cells[1:], strict=True))
        found = self.found
        due = {
            "NumberOfLinesInFile": number,
            "NumberOfSummaryRecords": len(found.summaries),
            "NumberOfBlocksInFile": found.blocks,
        }
        if found.head["FileNumber"] == found.head["NumberOfFiles"] == "1":
            due |= {"NumberOfLinesInReport": number, "NumberOfBlocksInReport": found.blocks}
        for name, count in due.items():
            said = foot[name]
            if said != str(count) and (said or name in _FOOT_MANDATORY):
                raise DsrBroken(
                    f"says {said!r}, but the file has {count}",
                    line=number,
                    record_type="FOOT",
                    cell=name,
                )
        found.lines = number
        self.phase = _DONE

    def finish(self) -> Outline:
        if self.phase == _BEFORE_HEAD:
            raise DsrBroken(
                "no HEAD record: not a DSR file", line=max(self.last, 1), record_type=None
            )
        if self.phase != _DONE:
            raise DsrBroken(
                "the file ends without its FOOT record (incomplete: an interrupted upload?)",
                line=self.last,
                record_type=None,
            )
        return self.found


_FOOT_MANDATORY = frozenset(
    {"NumberOfLinesInFile", "NumberOfSummaryRecords", "NumberOfBlocksInFile"}
)


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _head_problems(head: dict[str, str]) -> list[tuple[str, str]]:
    """(cell, reason) of what in a HEAD this ledger cannot read, in cell order."""
    problems: list[tuple[str, str]] = []
    if head["Profile"] != PROFILE:
        problems.append(("Profile", f"{head['Profile']!r} is not {PROFILE}"))
    if head["ProfileVersion"] not in PROFILE_VERSIONS:
        problems.append(
            ("ProfileVersion", f"{head['ProfileVersion']!r}: this ledger reads {PROFILE} 1.2")
        )
    if not head["MessageId"].strip():
        problems.append(("MessageId", "is empty"))
    counters = [head[name] for name in ("FileNumber", "NumberOfFiles")]
    for name, value in zip(("FileNumber", "NumberOfFiles"), counters, strict=True):
        if not value.isdigit() or int(value) < 1:
            problems.append((name, f"{value!r} is not a positive whole number"))
    if all(v.isdigit() for v in counters) and int(counters[0]) > int(counters[1]):
        problems.append(("FileNumber", "is above NumberOfFiles"))
    for name in ("UsageStartDate", "UsageEndDate"):
        if not _DATE.fullmatch(head[name]) or _date(head[name]) is None:
            problems.append((name, f"{head[name]!r} is not a date YYYY-MM-DD"))
    if not head["SenderPartyId"].strip():
        problems.append(("SenderPartyId", "is empty"))
    return problems

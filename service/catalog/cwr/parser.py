"""Reading a CWR file: fixed-width records cut by the layouts of ``layouts.py``, grouped into
groups and transactions, control counts checked.

A broken structure (no HDR, a group without its trailer, counts that disagree, a version
the ledger does not read) refuses the whole file, as the specification's file- and
group-level validation does. A bad field or an unknown record type only marks its
transaction, which is then rejected alone.
"""

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any

from service.catalog.cwr.exceptions import CwrFileInvalid
from service.catalog.cwr.layouts import (
    CONTROL_TYPES,
    LAYOUTS,
    TRANSACTION_TYPES,
    Field,
    Kind,
    Layout,
)

# GRH "Version Number for this transaction type" -> the CWR version it declares.
VERSIONS = {"02.10": "2.1", "02.20": "2.2"}
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a record or field fails, in the words of a CWR ACK's MSG record."""

    line: int
    record_type: str
    field: str | None
    reason: str


@dataclass(slots=True)
class Record:
    record_type: str
    line: int
    values: dict[str, Any]

    def get(self, name: str) -> Any:
        return self.values.get(name)


@dataclass(slots=True)
class Transaction:
    group_id: int
    group_type: str
    header: Record
    details: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    index: int = 0  # position in its group, from 0
    records: int = 0  # detail records read so far, unknown types included

    @property
    def transaction_type(self) -> str:
        return self.header.record_type

    @property
    def sequence(self) -> int:
        return int(self.header.get("Transaction Sequence #") or 0)

    def of_type(self, *record_types: str) -> list[Record]:
        return [r for r in self.details if r.record_type in record_types]


@dataclass(slots=True)
class CwrFile:
    version: str
    sender_type: str
    sender_id: str
    sender_name: str
    created: date
    transactions: list[Transaction]


def decode(text: bytes) -> str:
    """CWR is ASCII unless HDR names a character set; UTF-8 covers both, Latin-1 the rest."""
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        return text.decode("latin-1")


def _value(spec: Field, raw: str) -> Any:
    """One field's value, or ValueError with the reason it is malformed."""
    stripped = raw.strip()
    if spec.kind in (Kind.alphanumeric, Kind.lookup):
        return raw.rstrip() or None
    if not stripped:
        return Decimal(0) if spec.kind is Kind.share else None
    if spec.kind is Kind.flag:
        if stripped not in ("Y", "N", "U"):
            raise ValueError(f"{raw!r} is not a flag (Y, N or U)")
        return stripped
    if not raw.isdigit():
        raise ValueError(f"{raw!r} is not numeric")
    if spec.kind is Kind.numeric:
        return raw
    if spec.kind is Kind.share:
        return Decimal(raw) / 100 / _HUNDRED  # 3v2: 05000 -> 50.00 % -> 0.5
    if spec.kind is Kind.date:
        return None if int(raw) == 0 else date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    return time(int(raw[:2]), int(raw[2:4]), int(raw[4:]))


def cut(layout: Layout, text: str, *, line: int, version: str) -> tuple[Record, list[Problem]]:
    """Cut one line by its layout. Lines may stop early (trailing blanks are often trimmed):
    missing positions read as blanks."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in layout.fields:
        if spec.since > version:
            continue
        raw = text[spec.start - 1 : spec.end].ljust(spec.size)
        try:
            value = _value(spec, raw)
        except ValueError as exc:
            problems.append(Problem(line, layout.record_type, spec.name, str(exc)))
            continue
        if spec.required and value is None:
            problems.append(Problem(line, layout.record_type, spec.name, "required, blank"))
        values[spec.name] = value
    return Record(layout.record_type, line, values), problems


def _control(text: str, record_type: str, line: int) -> Record:
    if text[:3] != record_type:
        raise CwrFileInvalid(f"line {line}: expected {record_type}, found {text[:3]!r}", line=line)
    record, problems = cut(LAYOUTS[record_type], text, line=line, version="2.2")
    if problems:
        first = problems[0]
        raise CwrFileInvalid(f"line {line}: {record_type} {first.field}: {first.reason}", line=line)
    return record


@dataclass(slots=True)
class _Group:
    header: Record
    version: str
    transactions: list[Transaction]
    records: int = 1  # the GRH


def parse(text: str) -> CwrFile:
    """The transactions of a CWR file, or CwrFileInvalid for a broken structure."""
    lines = [raw.rstrip("\r") for raw in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise CwrFileInvalid("the file is empty", line=1)
    hdr = _control(lines[0], "HDR", 1)
    trl = _control(lines[-1], "TRL", len(lines))
    groups: list[_Group] = []
    current: _Group | None = None
    for number, text in enumerate(lines[1:-1], start=2):
        kind = text[:3]
        if kind == "GRH":
            if current is not None:
                raise CwrFileInvalid(f"line {number}: GRH before the previous GRT", line=number)
            current = _open_group(text, number)
        elif kind == "GRT":
            if current is None:
                raise CwrFileInvalid(f"line {number}: GRT without a GRH", line=number)
            _close_group(current, _control(text, "GRT", number), number)
            groups.append(current)
            current = None
        elif current is None:
            raise CwrFileInvalid(f"line {number}: {kind!r} outside a group", line=number)
        else:
            _add_record(current, text, number)
    if current is not None:
        raise CwrFileInvalid(f"line {len(lines)}: the last group has no GRT", line=len(lines))
    _check_trailer(trl, groups, records=len(lines), line=len(lines))
    versions = {g.version for g in groups}
    return CwrFile(
        version=max(versions) if versions else "2.1",
        sender_type=hdr.get("Sender Type"),
        sender_id=hdr.get("Sender ID"),
        sender_name=hdr.get("Sender Name"),
        created=hdr.get("Creation Date"),
        transactions=[t for g in groups for t in g.transactions],
    )


def _open_group(text: str, number: int) -> _Group:
    header = _control(text, "GRH", number)
    declared = header.get("Version Number for this transaction type")
    version = VERSIONS.get(declared)
    if version is None:
        raise CwrFileInvalid(
            f"line {number}: CWR version {declared!r} is not read here (02.10, 02.20)",
            line=number,
        )
    return _Group(header=header, version=version, transactions=[])


def _add_record(group: _Group, text: str, number: int) -> None:
    group.records += 1
    kind = text[:3]
    if kind in CONTROL_TYPES:
        raise CwrFileInvalid(f"line {number}: {kind} inside a group", line=number)
    layout = LAYOUTS.get(kind)
    if kind in TRANSACTION_TYPES and layout is not None:
        record, problems = cut(layout, text, line=number, version=group.version)
        transaction = Transaction(
            group_id=int(group.header.get("Group ID")),
            group_type=group.header.get("Transaction Type"),
            header=record,
            problems=problems,
            index=len(group.transactions),
        )
        if kind != transaction.group_type:
            transaction.problems.append(
                Problem(
                    number, kind, None, f"{kind} transaction in a {transaction.group_type} group"
                )
            )
        _check_sequence(transaction, record, "Transaction Sequence #", transaction.index)
        group.transactions.append(transaction)
        return
    if not group.transactions:
        raise CwrFileInvalid(f"line {number}: {kind!r} before any transaction header", line=number)
    transaction = group.transactions[-1]
    transaction.records += 1
    if layout is None:
        transaction.problems.append(Problem(number, kind, None, f"unknown record type {kind!r}"))
        return
    record, problems = cut(layout, text, line=number, version=group.version)
    transaction.details.append(record)
    transaction.problems.extend(problems)
    # A detail carries its transaction's number: the one due or, if the header is numbered
    # out of turn, the header's (one message for a misnumbered header, not one per record).
    header_number = transaction.header.get("Transaction Sequence #")
    accepted = {transaction.index} | ({int(header_number)} if header_number else set())
    _check_sequence(transaction, record, "Transaction Sequence #", transaction.index, accepted)
    _check_sequence(transaction, record, "Record Sequence #", transaction.records)


def _check_sequence(
    transaction: Transaction,
    record: Record,
    name: str,
    expected: int,
    accepted: set[int] | None = None,
) -> None:
    """Transactions are numbered from 0 in their group, records from 0 (the header) in their
    transaction (specification, "Record Prefix"). A malformed number is already reported."""
    value = record.get(name)
    if value is not None and int(value) not in (accepted or {expected}):
        transaction.problems.append(
            Problem(record.line, record.record_type, name, f"{int(value)} where {expected} is due")
        )


def _close_group(group: _Group, grt: Record, number: int) -> None:
    group.records += 1
    expected = (len(group.transactions), group.records)
    found = (int(grt.get("Transaction Count")), int(grt.get("Record Count")))
    if grt.get("Group ID") != group.header.get("Group ID") or expected != found:
        raise CwrFileInvalid(
            f"line {number}: GRT says group {grt.get('Group ID')} has {found[0]} transactions "
            f"and {found[1]} records; the group has {expected[0]} and {expected[1]}",
            line=number,
        )


def _check_trailer(trl: Record, groups: list[_Group], *, records: int, line: int) -> None:
    expected = (len(groups), sum(len(g.transactions) for g in groups), records)
    found = (
        int(trl.get("Group Count")),
        int(trl.get("Transaction Count")),
        int(trl.get("Record Count")),
    )
    if expected != found:
        raise CwrFileInvalid(
            f"line {line}: TRL counts {found[0]} groups, {found[1]} transactions, {found[2]} "
            f"records; the file has {expected[0]}, {expected[1]} and {expected[2]}",
            line=line,
        )

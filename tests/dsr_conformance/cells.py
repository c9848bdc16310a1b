"""Reading one DSR record into cells, and typing one cell value against its rule.

Escapes follow DSR Part 1 clause 6.6.4 (see ``rules`` for the source): a run of backslashes
is read in threes (each three is one literal backslash); one left over must precede a TAB
(a TAB inside the value), two left over must precede ``|`` (a ``|`` inside the value).
Anything else is an escape the standard does not define, which it calls an error.
Lexical forms are the XML Schema ones the XSD names (xs:integer, xs:decimal, xs:boolean,
xs:duration, xs:dateTime) plus the XSD's own ddex_IsoDate; MessageCreatedDateTime must carry
a zone designator (its definition: "the only allowed format is ... YYYY-MM-DDThh:mm:ssTZD").
"""

from __future__ import annotations

import re
from datetime import date, datetime

from tests.dsr_conformance.codes import CODE_LISTS, TIS_TERRITORY
from tests.dsr_conformance.rules import Cell

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_BOOLEAN = frozenset(("true", "false", "1", "0"))
_DURATION = re.compile(
    r"-?P(?=.)(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?"
    r"(?:T(?=.)(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
)
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?")
_ZONE = re.compile(r"Z|[+-][0-9]{2}:[0-9]{2}")
_ISO_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2})?(?:-[0-9]{2})?")


class EscapeError(ValueError):
    """A backslash sequence that DSR Part 1 clause 6.6.4 does not define."""


def split_record(line: str) -> list[list[str]]:
    """Cells of one record, each a list of its ``|``-separated values, unescaped."""
    cells: list[list[str]] = []
    values: list[str] = []
    value: list[str] = []
    i, size = 0, len(line)
    while i < size:
        char = line[i]
        if char == "\\":
            run = len(line[i:]) - len(line[i:].lstrip("\\"))
            literal, left = divmod(run, 3)
            value.append("\\" * literal)
            i += run
            nxt = line[i] if i < size else ""
            if (left == 1 and nxt == "\t") or (left == 2 and nxt == "|"):
                value.append(nxt)
                i += 1
            elif left:
                raise EscapeError(f"{left} backslash(es) before {nxt!r} is not a defined escape")
            continue
        if char in "\t|":
            values.append("".join(value))
            value = []
            if char == "\t":
                cells.append(values)
                values = []
        else:
            value.append(char)
        i += 1
    values.append("".join(value))
    cells.append(values)
    return cells


def _is_date(text: str) -> bool:
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def _datetime_problem(value: str) -> str | None:
    stamp = _DATETIME.match(value)
    if stamp is None:
        return "is not an ISO 8601 date-time YYYY-MM-DDThh:mm:ssTZD"
    if not _ZONE.fullmatch(value[stamp.end() :]):
        return "has no time zone designator (Z or +hh:mm)"
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "is not a real date-time"
    return None


def _kind_problem(kind: str, value: str) -> str | None:
    if kind in ("integer", "block_id"):
        if not _INTEGER.fullmatch(value):
            return "is not an integer"
        if kind == "block_id" and int(value) < 1:
            return "is not a BlockId (1, 2, ...)"
    elif kind == "decimal" and not _DECIMAL.fullmatch(value):
        return "is not a decimal (xs:decimal: digits, one '.', no exponent)"
    elif kind == "boolean" and value not in _BOOLEAN:
        return "is not a boolean (true or false)"
    elif kind == "duration" and not _DURATION.fullmatch(value):
        return "is not an ISO 8601 duration (e.g. PT3M20S)"
    elif kind == "datetime":
        return _datetime_problem(value)
    elif kind == "isodate" and not (_ISO_DATE.fullmatch(value) and _is_date(value)):
        return "is not a date YYYY[-MM[-DD]]"
    return None


def value_problem(rule: Cell, value: str) -> str | None:
    """Why ``value`` (one non-empty value) breaks ``rule``, or None."""
    problem = _kind_problem(rule.kind, value)
    if problem:
        return problem
    if rule.pattern and not re.fullmatch(rule.pattern, value):
        return f"does not match the pattern {rule.pattern}"
    if rule.codes and value not in CODE_LISTS[rule.codes]:
        if rule.codes == "CurrentTerritoryCode" and re.fullmatch(TIS_TERRITORY, value):
            return None
        return f"is not in the AVS list {rule.codes}"
    return None


def cell_problems(rule: Cell, values: list[str]) -> list[str]:
    """Problems of one cell (its values as split on unescaped ``|``)."""
    if values == [""]:
        return ["is mandatory but empty"] if rule.mandatory else []
    if len(values) > 1 and not rule.repeated:
        return ["holds several values (unescaped '|') but allows one"]
    problems = []
    for value in values:
        if value == "":
            problems.append("has an empty value between '|' separators")
        elif problem := value_problem(rule, value):
            problems.append(f"{value!r} {problem}")
    return problems

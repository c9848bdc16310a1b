"""Integers too long for Python to read, found where they are (issue #24, break 5).

Python refuses to turn a string of more than ``sys.get_int_max_str_digits()`` digits
(4,300) into an int (CVE-2020-10735: the conversion is quadratic), and ``json.loads``
raises a bare ValueError on such a number: every JSON body holding one answered 500.
``too_long`` finds the first such number in a JSON (or NDJSON) body and its location, so
the body limit middleware refuses it as a 422 naming the field, before any parser meets
it. A quick scan for a run of that many digits rules out ordinary bodies at once.
"""

import csv
import io
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

MAX_DIGITS = sys.get_int_max_str_digits() or 4300
# The quick scan: every digit made "0" and every other byte " ", then a substring search
# for a run of MAX_DIGITS + 1 zeros, both at C speed (a regex costs ~100 ms on a
# 1.6 MB batch: it restarts at every digit; this, 1-10 ms).
_ONLY_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_RUN = b"0" * (MAX_DIGITS + 1)
_LONG_CELL = re.compile(rf"\s*[+-]?[0-9]{{{MAX_DIGITS + 1},}}\s*")


@dataclass(frozen=True, slots=True)
class TooLong:
    """Where a JSON number holds more digits than ``MAX_DIGITS`` (it is not read)."""

    digits: int


def _bounded_int(text: str) -> int | TooLong:
    digits = len(text.lstrip("-"))
    return TooLong(digits) if digits > MAX_DIGITS else int(text)


def _find(value: Any, loc: list[str | int]) -> tuple[list[str | int], int] | None:
    if isinstance(value, TooLong):
        return loc, value.digits
    items: Any
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _find(item, [*loc, key])
        if found is not None:
            return found
    return None


def _parsed(text: bytes | str) -> Any:
    try:
        return json.loads(text, parse_int=_bounded_int, parse_float=str)
    except (ValueError, RecursionError):
        return None  # not JSON: the endpoint's own parsing answers for it


def too_long(body: bytes) -> tuple[list[str | int], int] | None:
    """``(location, digits)`` of the first integer in ``body`` with more digits than Python
    reads: in JSON ``["body", "sales", 0, "quantity"]``, in NDJSON ``["body", line, ...]``,
    in CSV ``["body", line, column]`` (lines counted from 1, the header's included); None
    if there is none."""
    if _RUN not in body.translate(_ONLY_DIGITS):
        return None
    parsed = _parsed(body)
    if parsed is not None:
        return _find(parsed, ["body"])
    for number, line in enumerate(body.splitlines(), 1):  # NDJSON: one document a line
        if _RUN in line.translate(_ONLY_DIGITS) and (row := _parsed(line)) is not None:
            found = _find(row, ["body", number])
            if found is not None:
                return found
    return _in_csv(body)


def _in_csv(body: bytes) -> tuple[list[str | int], int] | None:
    """A CSV cell that is nothing but such a number, named by its header's column."""
    try:
        rows = csv.reader(io.StringIO(body.decode()))
        header = next(rows, [])
        for number, cells in enumerate(rows, 2):
            for index, cell in enumerate(cells):
                if _LONG_CELL.fullmatch(cell):
                    name = header[index].strip() if index < len(header) else index
                    return ["body", number, name], len(cell.strip().lstrip("+-"))
    except (UnicodeDecodeError, csv.Error):
        return None
    return None

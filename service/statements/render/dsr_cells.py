"""Cells of a DSR flat file: Part 1's escaping, decimals, durations, booleans, checks.

Each writer refuses what cannot be written (control characters, floats, naive
datetimes, a blank mandatory cell) instead of writing a file a society would reject.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from service.statements.render.dsr_layout import SCHEMAS, WORLDWIDE, check_cell

CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def checked(kind: str, value: str, what: str) -> str:
    message = check_cell(kind, value)
    if message:
        raise ValueError(f"{what}: {message}")
    return value


def esc(value: str, what: str) -> str:
    if CONTROL.search(value):
        raise ValueError(f"{what}: control characters (CR, LF, ...) cannot be written: {value!r}")
    if "\\" in value or "|" in value or "\t" in value:
        # Backslashes first, so the backslashes added for | and TAB are not doubled again.
        value = value.replace("\\", "\\\\\\").replace("|", "\\\\|").replace("\t", "\\\t")
    return value


def coded(kind: str, value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} is mandatory")
    return esc(checked(kind, value.strip(), what), what)


def text(value: str | None, what: str, *, required: bool = True) -> str:
    # Part 1 asks senders to trim stray spaces; a blank mandatory cell is an error, not "".
    stripped = (value or "").strip()
    if required and not stripped:
        raise ValueError(f"{what} is mandatory")
    return esc(stripped, what)


def many(values: tuple[str, ...], what: str) -> str:
    return "|".join(text(v, what) for v in values)


def integer(value: int | None, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return str(value)


def dec(value: Decimal | None, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    # 'f' never uses an exponent (Decimal('1E-5') -> '0.00001'); zero must read exactly "0".
    return "0" if value.is_zero() else format(value, "f")


def boolean(value: bool) -> str:
    return "true" if value else "false"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"duration_s must be a non-negative int, got {seconds!r}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    hh = f"{hours}H" if hours else ""
    mm = f"{minutes}M" if minutes else ""
    ss = f"{secs}S" if secs or not seconds else ""
    return f"PT{hh}{mm}{ss}"


def territory(value: str) -> str:
    return WORLDWIDE if value in ("WORLD", WORLDWIDE) else value


def utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(UTC)


def line(cells: list[str]) -> str:
    return "\t".join(cells) + "\n"


def heading(record_type: str) -> str:
    return line(["#" + record_type, *(spec.name for spec in SCHEMAS[record_type])])

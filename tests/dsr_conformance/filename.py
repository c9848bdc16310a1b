"""DSR Part 1 clause 8.1 file names, and their agreement with the file's HEAD record.

Grammar (see ``rules`` for the sources)::

    DSR_MessageRecipient_MessageSender_ServiceDescription_MessageNotificationPeriod_
        TerritoryOfUseOrSale_xofy_MessageCreatedDateTime.ext
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime

from tests.dsr_conformance.codes import CODE_LISTS

ELEMENTS = (
    "MessageRecipient",
    "MessageSender",
    "ServiceDescription",
    "MessageNotificationPeriod",
    "TerritoryOfUseOrSale",
    "xofy",
    "MessageCreatedDateTime",
)
# Elements the standard lets a sender omit: the recipient when there are several, the file
# counter when the report is a single file.
MAY_BE_EMPTY = frozenset(("MessageRecipient", "xofy", "ServiceDescription"))
EXTENSIONS = ("tsv", "tsv.gz")
_XOFY = re.compile(r"([1-9][0-9]*)of([1-9][0-9]*)")
_STAMP = re.compile(r"[0-9]{8}T[0-9]{6}")
_YEAR, _MONTH, _DAY = r"([0-9]{4})", r"([0-9]{4})-([0-9]{2})", r"([0-9]{4})-([0-9]{2})-([0-9]{2})"


@dataclass(frozen=True, slots=True)
class FileName:
    elements: dict[str, str]
    period: tuple[date, date] | None  # None when the period element is unreadable
    x: int | None
    y: int | None


def _span(text: str) -> tuple[date, date] | None:
    """First and last day of a MessageNotificationPeriod (clause 8.1's six syntaxes)."""
    if m := re.fullmatch(_YEAR, text):
        year = int(m[1])
        return date(year, 1, 1), date(year, 12, 31)
    if m := re.fullmatch(_MONTH, text):
        year, month = int(m[1]), int(m[2])
        return date(year, month, 1), date(year, month, monthrange(year, month)[1])
    if m := re.fullmatch(_DAY, text):
        day = date(int(m[1]), int(m[2]), int(m[3]))
        return day, day
    if m := re.fullmatch(r"([0-9]{4})-Q([1-4])", text):
        year, first = int(m[1]), 3 * int(m[2]) - 2
        return date(year, first, 1), date(year, first + 2, monthrange(year, first + 2)[1])
    if m := re.fullmatch(r"([0-9]{4})-W([0-9]{2})", text):
        start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return start, date.fromisocalendar(int(m[1]), int(m[2]), 7)
    if m := re.fullmatch(f"{_DAY}--{_DAY}", text):
        start = date(int(m[1]), int(m[2]), int(m[3]))
        return start, date(int(m[4]), int(m[5]), int(m[6]))
    return None


def _period(text: str, problems: list[str]) -> tuple[date, date] | None:
    try:
        span = _span(text)
    except ValueError:
        span = None
    if span is None or span[0] > span[1]:
        problems.append(
            f"MessageNotificationPeriod {text!r} is not yyyy, yyyy-mm, yyyy-mm-dd, yyyy-Qq, "
            "yyyy-Www or yyyy-mm-dd--yyyy-mm-dd"
        )
        return None
    return span


def _element_problems(elements: dict[str, str], problems: list[str]) -> None:
    for name, value in elements.items():
        if re.search(r"\s", value):
            problems.append(f"{name} {value!r} contains a space")
        elif not value and name not in MAY_BE_EMPTY:
            problems.append(f"{name} is empty but may not be omitted")
    stamp = elements["MessageCreatedDateTime"]
    if stamp and not _valid_stamp(stamp):
        problems.append(f"MessageCreatedDateTime {stamp!r} is not yyyymmddThhmmss")
    territory = elements["TerritoryOfUseOrSale"]
    if re.fullmatch("[A-Z]{2}", territory) and territory not in CODE_LISTS["CurrentTerritoryCode"]:
        problems.append(f"TerritoryOfUseOrSale {territory!r} is not an ISO territory code")


def _valid_stamp(stamp: str) -> bool:
    if not _STAMP.fullmatch(stamp):
        return False
    try:
        datetime.strptime(stamp, "%Y%m%dT%H%M%S")  # the name carries no zone
    except ValueError:
        return False
    return True


def parse_file_name(name: str, problems: list[str]) -> FileName | None:
    """Split ``name`` into its clause 8.1 elements, appending what is wrong to ``problems``."""
    stem, dot, ext = name.partition(".")
    if not dot or ext not in EXTENSIONS:
        problems.append(f"extension {ext!r} is not one of {', '.join(EXTENSIONS)}")
    parts = stem.split("_")
    if parts[0] != "DSR" or len(parts) != len(ELEMENTS) + 1:
        problems.append(
            f"{len(parts)} '_'-separated parts; expected 'DSR' and the {len(ELEMENTS)} "
            f"elements {', '.join(ELEMENTS)} (no element may contain '_')"
        )
        return None
    elements = dict(zip(ELEMENTS, parts[1:], strict=True))
    _element_problems(elements, problems)
    period = _period(elements["MessageNotificationPeriod"], problems)
    x = y = None
    if elements["xofy"]:
        if counter := _XOFY.fullmatch(elements["xofy"]):
            x, y = int(counter[1]), int(counter[2])
            if x > y:
                problems.append(f"xofy {elements['xofy']!r}: file {x} of {y} is impossible")
        else:
            problems.append(f"xofy {elements['xofy']!r} is not <x>of<y>")
    return FileName(elements, period, x, y)


def head_problems(name: FileName, head: dict[str, str], territories: set[str]) -> list[str]:
    """Clause 8.1: the name's elements say what the HEAD (and the summaries) say."""
    problems = []
    pairs = (
        ("MessageRecipient", ("RecipientPartyId", "RecipientName")),
        ("MessageSender", ("SenderPartyId", "SenderName")),
        ("ServiceDescription", ("ServiceDescription",)),
    )
    for element, cells in pairs:
        value = name.elements[element]
        if element == "MessageRecipient" and not value:
            continue  # several recipients: HEAD checks that it names none
        if value not in {head.get(cell, "") for cell in cells}:
            shown = " or ".join(f"HEAD {cell} {head.get(cell, '')!r}" for cell in cells)
            problems.append(f"{element} {value!r} is not the same as {shown}")
    problems += _counter_problems(name, head)
    if name.period and (head.get("UsageStartDate"), head.get("UsageEndDate")) != tuple(
        d.isoformat() for d in name.period
    ):
        problems.append(
            f"MessageNotificationPeriod {name.elements['MessageNotificationPeriod']!r} is not "
            f"the HEAD's UsageStartDate..UsageEndDate {head.get('UsageStartDate')!r}.."
            f"{head.get('UsageEndDate')!r}"
        )
    territory = name.elements["TerritoryOfUseOrSale"]
    if len(territories) == 1 and territory not in territories:
        problems.append(
            f"TerritoryOfUseOrSale {territory!r} is not the single territory reported "
            f"{next(iter(territories))!r}"
        )
    return problems


def _counter_problems(name: FileName, head: dict[str, str]) -> list[str]:
    number, files = head.get("FileNumber", ""), head.get("NumberOfFiles", "")
    if name.x is None:
        if not name.elements["xofy"] and files not in ("", "1"):
            return [f"xofy is omitted but HEAD NumberOfFiles is {files!r}"]
        return []
    if (str(name.x), str(name.y)) != (number, files):
        return [f"xofy '{name.x}of{name.y}' is not HEAD FileNumber/NumberOfFiles {number}/{files}"]
    return []

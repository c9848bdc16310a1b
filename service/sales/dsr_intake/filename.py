"""DSR Part 1 clause 8.1: a file's name, and its agreement with the file's HEAD.

``DSR_MessageRecipient_MessageSender_ServiceDescription_MessageNotificationPeriod_
TerritoryOfUseOrSale_xofy_MessageCreatedDateTime.tsv`` (``.tsv.gz`` compressed). No element
holds ``_`` or a space; the recipient may be omitted (several recipients) and ``xofy`` for a
single file. Recipient, sender and service are "the same as the information conveyed in
the file Header": the recipient is HEAD RecipientPartyId or RecipientName, the sender
SenderPartyId or SenderName (as DDEX's reference parser, ddexnet/dsrf ``constants.py``,
matches them). The period is yyyy, yyyy-mm, yyyy-mm-dd, yyyy-Qq, yyyy-Www or
yyyy-mm-dd--yyyy-mm-dd and spans the HEAD's UsageStartDate..UsageEndDate.
"""

import re
from calendar import monthrange
from datetime import date, datetime

from service.sales.dsr_intake.exceptions import DsrFileName
from service.sales.dsr_intake.parser import Outline

ELEMENTS = (
    "MessageRecipient",
    "MessageSender",
    "ServiceDescription",
    "MessageNotificationPeriod",
    "TerritoryOfUseOrSale",
    "xofy",
    "MessageCreatedDateTime",
)
_MAY_BE_EMPTY = frozenset({"MessageRecipient", "xofy"})
_EXTENSIONS = ("tsv", "tsv.gz")


def _span(text: str) -> tuple[date, date] | None:
    """First and last day of a MessageNotificationPeriod, or None if unreadable."""
    if m := re.fullmatch(r"([0-9]{4})", text):
        return date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{2})", text):
        year, month = int(m[1]), int(m[2])
        return date(year, month, 1), date(year, month, monthrange(year, month)[1])
    if m := re.fullmatch(r"([0-9]{4})-Q([1-4])", text):
        year, first = int(m[1]), 3 * int(m[2]) - 2
        return date(year, first, 1), date(year, first + 2, monthrange(year, first + 2)[1])
    if m := re.fullmatch(r"([0-9]{4})-W([0-9]{2})", text):
        year, week = int(m[1]), int(m[2])
        return date.fromisocalendar(year, week, 1), date.fromisocalendar(year, week, 7)
    if m := re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:--([0-9]{4}-[0-9]{2}-[0-9]{2}))?", text):
        start = date.fromisoformat(m[1])
        return start, date.fromisoformat(m[2]) if m[2] else start
    return None


def problems(name: str, outline: Outline) -> list[str]:
    """Everything in which ``name`` breaks clause 8.1 or disagrees with the HEAD."""
    stem, _, ext = name.partition(".")
    found = [] if ext in _EXTENSIONS else [f"extension {ext!r} is not tsv or tsv.gz"]
    parts = stem.split("_")
    if parts[0] != "DSR" or len(parts) != len(ELEMENTS) + 1:
        return [
            *found,
            f"{len(parts)} '_'-separated parts; expected DSR and the {len(ELEMENTS)} "
            f"elements {', '.join(ELEMENTS)}",
        ]
    elements = dict(zip(ELEMENTS, parts[1:], strict=True))
    for element, value in elements.items():
        if not value and element not in _MAY_BE_EMPTY:
            found.append(f"{element} is empty but may not be omitted")
        elif re.search(r"\s", value):
            found.append(f"{element} {value!r} contains a space")
    head = outline.head
    for element, cells in (
        ("MessageRecipient", ("RecipientPartyId", "RecipientName")),
        ("MessageSender", ("SenderPartyId", "SenderName")),
        ("ServiceDescription", ("ServiceDescription",)),
    ):
        value = elements[element]
        if value and value not in {head[cell] for cell in cells}:
            said = " or ".join(f"HEAD {cell} {head[cell]!r}" for cell in cells)
            found.append(f"{element} {value!r} is neither {said}")
    return found + _period(elements, head) + _counter(elements, head) + _stamp(elements)


def _period(elements: dict[str, str], head: dict[str, str]) -> list[str]:
    text = elements["MessageNotificationPeriod"]
    try:
        span = _span(text)
    except ValueError:
        span = None
    if span is None:
        return [f"MessageNotificationPeriod {text!r} is no period clause 8.1 allows"]
    said = (head["UsageStartDate"], head["UsageEndDate"])
    if said != (span[0].isoformat(), span[1].isoformat()):
        return [
            f"MessageNotificationPeriod {text!r} is not HEAD's usage period {said[0]}..{said[1]}"
        ]
    return []


def _counter(elements: dict[str, str], head: dict[str, str]) -> list[str]:
    text, files = elements["xofy"], (head["FileNumber"], head["NumberOfFiles"])
    if not text:
        return (
            []
            if files == ("1", "1")
            else [f"xofy is omitted but HEAD says file {files[0]} of {files[1]}"]
        )
    m = re.fullmatch(r"([0-9]+)of([0-9]+)", text)
    if m is None or (m[1], m[2]) != files:
        return [f"xofy {text!r} is not HEAD's FileNumber/NumberOfFiles {files[0]}/{files[1]}"]
    return []


def _stamp(elements: dict[str, str]) -> list[str]:
    # Clause 8.1 asks for a basic ISO 8601 time without a zone; unlike recipient, sender
    # and service, it does not say the stamp must repeat the HEAD's, so it is not compared.
    text = elements["MessageCreatedDateTime"]
    try:
        datetime.strptime(text, "%Y%m%dT%H%M%S")  # noqa: DTZ007 (the name has no zone)
    except ValueError:
        return [f"MessageCreatedDateTime {text!r} is not yyyymmddThhmmss"]
    return []


def check(name: str, outline: Outline) -> None:
    """Raise ``DsrFileName`` listing every problem of ``name`` (nothing is booked)."""
    found = problems(name, outline)
    if found:
        raise DsrFileName(
            f"The file name {name!r} breaks DSR Part 1 clause 8.1: {'; '.join(found)}.",
            errors=[{"loc": ["header", "Content-Disposition"], "msg": p} for p in found],
        )

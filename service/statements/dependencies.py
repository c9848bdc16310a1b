"""HTTP plumbing of statements: which representation a request asks for, and ETags.

A statement is served as JSON, CSV or a DSR file. ``Representation`` picks one from
``?format=`` (which wins) or the ``Accept`` header (highest q among the media types
offered); ``Conditional`` answers ``If-None-Match`` against a strong ETag, so the router
only maps and streams.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response

from service.auth.caller import Caller
from service.auth.dependencies import HEADER_MAX_LENGTH, AnyCaller
from service.downloads import Downloads
from service.statements.exceptions import NotAcceptable
from service.statements.formats import CSV, JSON, TSV, Kind

_MEDIA: dict[str, Kind] = {
    JSON: "json",
    CSV: "csv",
    TSV: "dsr",
    "application/*": "json",
    "text/*": "csv",
    "*/*": "json",
}


def _quality(params: list[str]) -> float:
    q = 1.0
    for param in params:
        if param.startswith("q="):
            try:
                q = float(param[2:])
            except ValueError:
                q = 0.0
    return q


def negotiate(format_: Kind | None, accept: str | None) -> Kind:
    """``format_`` if given; else the offered media type ``accept`` rates highest."""
    if format_ is not None:
        return format_
    if not accept:
        return "json"
    best: Kind | None = None
    best_q = 0.0
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = _quality(params)
        kind = _MEDIA.get(media.lower())
        if kind is not None and q > best_q:
            best, best_q = kind, q
    if best is None:
        raise NotAcceptable(
            "Statements are served as application/json, text/csv, or (?format=dsr) "
            "text/tab-separated-values.",
        )
    return best


@dataclass(frozen=True, slots=True)
class Negotiation:
    """What a request asked for; ``kind`` decides (and may answer 406) only when read, so
    authentication and "not found" are answered first."""

    format: Kind | None
    accept: str | None

    @property
    def kind(self) -> Kind:
        return negotiate(self.format, self.accept)


def representation(
    format: Annotated[Kind | None, Query(description="Overrides Accept.")] = None,
    accept: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
) -> Negotiation:
    return Negotiation(format, accept)


Representation = Annotated[Negotiation, Depends(representation)]


def strong_etag(digest: str) -> str:
    return f'"{digest}"'


def etag_of(body: bytes) -> str:
    """The strong ETag of a body rendered whole (SHA-256 of its bytes)."""
    return strong_etag(hashlib.sha256(body).hexdigest())


@dataclass(frozen=True, slots=True)
class Conditional:
    """A request's ``If-None-Match``: does it already hold the representation?"""

    if_none_match: str | None

    def matches(self, etag: str) -> bool:
        if not self.if_none_match:
            return False
        if self.if_none_match.strip() == "*":
            return True
        tags = (tag.strip().removeprefix("W/") for tag in self.if_none_match.split(","))
        return etag in tags

    def not_modified(self, headers: dict[str, str]) -> Response | None:
        """304 with ``headers`` when the ``ETag`` among them matches, else None."""
        if self.matches(headers["ETag"]):
            return Response(status_code=304, headers=headers)
        return None


def conditional(
    if_none_match: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
) -> Conditional:
    return Conditional(if_none_match)


ConditionalDep = Annotated[Conditional, Depends(conditional)]


def downloads(request: Request, caller: AnyCaller) -> Iterator[Downloads]:
    """The request's downloads (``service.downloads``): each takes a slot of the caller's
    party; all are closed and their slots given back once the response is over, whether
    it was read to the end or the client went away."""
    yield from downloads_of(request, caller)


def downloads_of(request: Request, caller: Caller) -> Iterator[Downloads]:
    """``downloads`` for a caller found otherwise (the portal's, by its session)."""
    party = "admin" if caller.is_admin else f"{caller.role.value}:{caller.subject}"
    taken = Downloads(request.app.state.download_slots, party)
    try:
        yield taken
    finally:
        taken.finish()


DownloadsDep = Annotated[Downloads, Depends(downloads)]

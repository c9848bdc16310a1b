"""Domain errors: what a service raises when a rule is broken, without any web framework.

Each domain keeps its own subclasses in ``exceptions.py``; ``service/problems.py`` (the HTTP
layer) renders them as RFC 9457 problem details from their ``status``, ``code``, ``title``,
``detail``, ``errors`` and extensions. Nothing here imports FastAPI or Starlette, so the
services, the ledger and the close load no web framework (checked by import-linter).
"""

from collections.abc import Sequence
from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken; ``status`` and ``code`` say how to report it."""

    status: int = 422
    code: str = "invalid"
    title: str = "The request breaks a rule of the ledger"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        self.extensions = extensions


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflicts with the current state"


class Invalid(DomainError):
    status = 422
    code = "invalid"
    title = "Invalid request"


# Pydantic's wording says what is wrong; these say how to write it instead (issue #12).
_WHOLE = "must be a whole number, e.g. 1"
_INSTANT = "2006-11-03T10:00:00Z (UTC) or 2006-11-03T13:00:00+03:00"
_HINTS = {
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "int_type": _WHOLE,
    "timezone_aware": f"needs a time zone: write it like {_INSTANT}",
    "datetime_parsing": f"is not a date and time: write it like {_INSTANT}",
    "datetime_from_date_parsing": f"is not a date and time: write it like {_INSTANT}",
    "datetime_type": f"is not a date and time: write it like {_INSTANT}",
}


def field_message(err: Any) -> str:
    """A pydantic error's message, replaced by one that shows a valid value when we know
    one (and with what was sent, when that is short enough to echo)."""
    hint = _HINTS.get(err.get("type", ""))
    if hint is None:
        return str(err.get("msg", ""))
    sent = err.get("input")
    if isinstance(sent, str | int | float) and not isinstance(sent, bool) and len(str(sent)) <= 40:
        return f"{hint} (got {sent!r})"
    return hint


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic errors reduced to the contract's ``{"loc", "msg"}`` (plus the error type)."""
    return [
        {"loc": list(err.get("loc", ())), "msg": field_message(err), "type": err.get("type")}
        for err in errors
    ]

"""Keyset pagination shared by every list: ``{"data": [...], "next_cursor": ...}``.

Cursors are opaque (base64 of the last key seen), so clients cannot depend on their shape
and pages stay stable while rows are appended. One helper for every shape of key: a
unique column (``paginate(key=Model.id)``), a tuple of columns (compared as a row value,
the cursor holding a JSON list), or a query that is not a plain ``SELECT`` (decode with
:func:`cursor_key`, fetch ``limit + 1`` rows, close with :func:`page_of`).

No HTTP here: routers build a :class:`PageParams` through ``service.auth.PageDep``.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, overload

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session
from sqlmodel.sql.expression import Select, SelectOfScalar

from service.errors import Invalid

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = 100
    cursor: str | None = None


_CURSOR_TAG = "k1:"


def _bad_cursor() -> Invalid:
    return Invalid(
        "The cursor is not one this service issued.",
        errors=[{"loc": ["query", "cursor"], "msg": "unknown cursor"}],
    )


def encode_cursor(key: Any) -> str:
    """The cursor after ``key``: a value, or a tuple of values (kept as a JSON list)."""
    text = json.dumps(list(key)) if isinstance(key, tuple) else str(key)
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{text}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = base64.b64decode(padded.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _bad_cursor() from exc
    # NUL: no key this service issues holds one (PostgreSQL text cannot), and the query
    # would fail on it.
    if not decoded.startswith(_CURSOR_TAG) or "\x00" in decoded:
        raise _bad_cursor()
    return decoded[len(_CURSOR_TAG) :]


def cursor_key(
    cursor: str, *, convert: Callable[[Any], Any] = str, width: int | None = None
) -> Any:
    """The key a cursor names, through ``convert``; a tuple of ``width`` values when the
    key is a tuple of columns. Anything this service did not issue is a 422."""
    text = decode_cursor(cursor)
    try:
        if width is None:
            return convert(text)
        values = json.loads(text)
        if not (isinstance(values, list) and len(values) == width):
            raise ValueError("not a key of this list")
        return tuple(convert(v) for v in values)
    except (ValueError, TypeError) as exc:
        raise _bad_cursor() from exc


def page_of(
    rows: Sequence[R], *, limit: int, key_of: Callable[[R], Any]
) -> tuple[Sequence[R], str | None]:
    """``limit`` of ``rows`` (fetched as ``limit + 1``) and the cursor after the last,
    None on the last page."""
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(key_of(rows[-1])) if more and rows else None


@overload
def paginate(
    session: Session,
    query: SelectOfScalar[M],
    *,
    key: Any,
    params: PageParams,
    convert: Callable[[Any], Any] = ...,
    key_of: Callable[[M], Any] | None = ...,
) -> tuple[Sequence[M], str | None]: ...


@overload
def paginate(
    session: Session,
    query: sa.Select[Any] | Select[*tuple[Any, ...]],
    *,
    key: Any,
    params: PageParams,
    convert: Callable[[Any], Any] = ...,
    key_of: Callable[[Any], Any] | None = ...,
) -> tuple[Sequence[Any], str | None]: ...


def paginate(
    session: Session,
    query: Any,
    *,
    key: Any,
    params: PageParams,
    convert: Callable[[Any], Any] = str,
    key_of: Callable[[Any], Any] | None = None,
) -> tuple[Sequence[Any], str | None]:
    """Keyset page over ``query`` ordered by ``key``: a unique column, or a tuple of
    columns unique together. ``key_of`` reads the key from a row (default: the column's
    attribute of an entity row, the row itself as a tuple for a tuple key)."""
    columns = key if isinstance(key, tuple) else None
    if params.cursor is not None:
        after = cursor_key(params.cursor, convert=convert, width=len(columns) if columns else None)
        query = query.where(sa.tuple_(*columns) > sa.tuple_(*after) if columns else key > after)
    order = columns or (key,)
    rows = session.exec(query.order_by(*order).limit(params.limit + 1)).all()
    return page_of(rows, limit=params.limit, key_of=key_of or _key_reader(key))


def _key_reader(key: Any) -> Callable[[Any], Any]:
    if isinstance(key, tuple):
        return tuple  # a row of the key columns
    name = str(key.key)
    return lambda row: getattr(row, name)


__all__ = ["Page", "PageParams", "cursor_key", "encode_cursor", "page_of", "paginate"]

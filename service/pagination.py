"""Cursor pagination shared by every list: ``{"data": [...], "next_cursor": ...}``.

Cursors are opaque (base64 of the last key seen), so clients cannot depend on their shape
and pages stay stable while rows are appended.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from service.problems import Invalid

T = TypeVar("T")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = 100
    cursor: str | None = None


def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="Rows per page (max 1000).")] = 100,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


_CURSOR_TAG = "k1:"


def _bad_cursor() -> Invalid:
    return Invalid(
        "The cursor is not one this service issued.",
        errors=[{"loc": ["query", "cursor"], "msg": "unknown cursor"}],
    )


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = base64.b64decode(padded.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _bad_cursor() from exc
    if not decoded.startswith(_CURSOR_TAG):
        raise _bad_cursor()
    return decoded[len(_CURSOR_TAG) :]


def paginate(
    session: Session,
    query: SelectOfScalar[M],
    *,
    key: Any,
    params: PageParams,
    convert: Callable[[str], Any] = str,
) -> tuple[Sequence[M], str | None]:
    """Keyset page over ``query`` ordered by the unique column ``key``."""
    if params.cursor is not None:
        try:
            after = convert(decode_cursor(params.cursor))
        except ValueError as exc:
            raise _bad_cursor() from exc
        query = query.where(key > after)
    rows = session.exec(query.order_by(key).limit(params.limit + 1)).all()
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = encode_cursor(_key_of(rows[-1], key)) if more and rows else None
    return rows, next_cursor


def _key_of(row: Any, key: ColumnElement[Any] | Any) -> Any:
    return getattr(row, str(key.key))


__all__ = ["Page", "PageDep", "PageParams", "paginate", "select"]

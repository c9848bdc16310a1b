"""The one keyset helper: single-column keys, tuple keys, and cursors it did not issue."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from service.errors import Invalid
from service.pagination import PageParams, cursor_key, encode_cursor, page_of, paginate

# A table of its own metadata: the application's (checked against the migrations) stays as is.
_META = sa.MetaData()
_ROWS = sa.Table(
    "page_row",
    _META,
    sa.Column("a", sa.String, primary_key=True),
    sa.Column("b", sa.Integer, primary_key=True),
)
_DATA = [("x", 2), ("x", 1), ("y", 1), ("w", 9), ("y", 3)]


@pytest.fixture
def session() -> Iterator[Session]:
    engine = sa.create_engine("sqlite://")
    _META.create_all(engine)
    with Session(engine) as session:
        session.execute(sa.insert(_ROWS), [{"a": a, "b": b} for a, b in _DATA])
        yield session
    engine.dispose()


def _all_pages(session: Session, query: sa.Select[tuple[str, int]], **kw: object) -> list[list]:
    pages, cursor = [], None
    while True:
        rows, cursor = paginate(session, query, params=PageParams(limit=2, cursor=cursor), **kw)
        pages.append([tuple(r) for r in rows])
        if cursor is None:
            return pages


def test_tuple_key_walks_every_row_once_in_order(session: Session) -> None:
    key = (_ROWS.c.a, _ROWS.c.b)
    pages = _all_pages(session, sa.select(*key), key=key, convert=lambda v: v)
    assert pages == [[("w", 9), ("x", 1)], [("x", 2), ("y", 1)], [("y", 3)]]


def test_single_column_key_with_conversion(session: Session) -> None:
    query = sa.select(_ROWS.c.b).distinct()
    pages = _all_pages(session, query, key=_ROWS.c.b, convert=int, key_of=lambda r: r[0])
    # Compared as integers: "9" would sort before "10" as text, 9 after 3 as a number.
    assert pages == [[(1,), (2,)], [(3,), (9,)]]


def test_page_of_names_the_last_row_only_when_more_follow() -> None:
    rows, cursor = page_of([1, 2, 3], limit=2, key_of=lambda r: r)
    assert list(rows) == [1, 2]
    assert cursor == encode_cursor(2)
    assert page_of([1, 2], limit=2, key_of=lambda r: r) == ([1, 2], None)


@pytest.mark.parametrize(
    ("cursor", "width"),
    [
        ("%%%", None),  # not base64
        ("aGVsbG8", None),  # base64 of "hello": not one of ours
        (encode_cursor("abc"), None),  # ours, but not an int key
        (encode_cursor(("x", "1", "extra")), 2),  # a tuple of the wrong width
        (encode_cursor("x"), 2),  # a single value where a tuple is due
    ],
)
def test_cursors_not_issued_for_this_list_are_422(cursor: str, width: int | None) -> None:
    with pytest.raises(Invalid) as raised:
        cursor_key(cursor, convert=int if width is None else str, width=width)
    assert raised.value.status == 422
    assert raised.value.errors == [{"loc": ["query", "cursor"], "msg": "unknown cursor"}]


def test_tuple_cursor_round_trips() -> None:
    assert cursor_key(encode_cursor(("x", "2")), width=2) == ("x", "2")

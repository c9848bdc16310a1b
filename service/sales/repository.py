"""The sales domain's queries: recorded sales by sale_id, inserting new ones, reading."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from service.pagination import PageParams, paginate
from service.sales.exceptions import SaleNotFound
from service.sales.models import Refund, Sale
from service.sql import among, copy_ignoring_duplicates, is_postgresql, table_of

SALES = table_of(Sale)
COMPARED = ("isrc", "territory", "sold_at", "quantity", "unit_price", "currency")


class NewSale(NamedTuple):
    """A sale about to be inserted: its fields are the ``sale`` columns it fills, in the
    order ``insert_sales`` copies them (built by keyword, so no caller depends on it)."""

    store_code: str
    sale_id: str
    isrc: str
    territory: str
    sold_at: datetime
    period: str
    quantity: int
    unit_price: Decimal
    currency: str
    iswc: str | None
    held: bool
    basis: str  # JSON text
    recorded_at: datetime


SALE_COLUMNS = NewSale._fields
_CHUNK = 5000

_STORED_COLUMNS = (SALES.c.id, SALES.c.sale_id, *(SALES.c[name] for name in COMPARED))
StoredSale = sa.Row[Any]  # id, sale_id and the compared fields of a recorded sale


# PostgreSQL: one index probe per wanted sale_id (a LATERAL .. LIMIT 1 is never flattened
# into a join), so the cost follows the batch, not the store's history; a plain
# ``sale_id = ANY(..)`` is as fast with fresh statistics but, while the table grows faster
# than autovacuum analyses it, is planned as a bitmap scan of all of the store's sales.
_STORED_PG = sa.text(
    "SELECT s.* FROM unnest(CAST(:ids AS varchar[])) AS wanted(sale_id) CROSS JOIN LATERAL ("  # noqa: S608
    f"SELECT {', '.join(c.name for c in _STORED_COLUMNS)} FROM sale "
    "WHERE store_code = :store AND sale_id = wanted.sale_id LIMIT 1) AS s"
).columns(*_STORED_COLUMNS)


def stored_sales(
    session: Session, store_code: str, sale_ids: Iterable[str]
) -> dict[str, StoredSale]:
    """The store's recorded sales among ``sale_ids`` (plain rows: no ORM objects)."""
    ids = sorted(sale_ids)
    found: dict[str, StoredSale] = {}
    postgresql = is_postgresql(session)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query: sa.Executable = (
            _STORED_PG.bindparams(ids=chunk, store=store_code)
            if postgresql
            else sa.select(*_STORED_COLUMNS).where(
                SALES.c.store_code == store_code, SALES.c.sale_id.in_(chunk)
            )
        )
        found.update((row.sale_id, row) for row in session.execute(query))
    return found


def insert_sales(session: Session, rows: Sequence[NewSale]) -> dict[str, int]:
    """Insert new sales; sale_id -> new id for those the constraint let in.

    ``INSERT .. ON CONFLICT (store_code, sale_id) DO NOTHING RETURNING``: a sale_id
    recorded meanwhile by another writer is simply absent from the answer.
    """
    return copy_ignoring_duplicates(
        session, SALES, SALE_COLUMNS, rows, unique=("store_code", "sale_id"), key="sale_id"
    )


def delete_sales(session: Session, pks: Sequence[int]) -> None:
    """Delete sales this transaction inserted and books nothing for (one statement)."""
    if pks:
        session.execute(sa.delete(SALES).where(among(session, SALES.c.id, pks)))


def held_sales(
    session: Session, *, after: int, isrcs: Sequence[str] | None, limit: int
) -> list[Sale]:
    """Up to ``limit`` sales still holding something (of ``isrcs``, or all) after id
    ``after``, in id order."""
    query = select(Sale).where(col(Sale.held), col(Sale.id) > after)
    if isrcs is not None:
        query = query.where(col(Sale.isrc).in_(isrcs))
    return list(session.exec(query.order_by(col(Sale.id)).limit(limit)))


def get_sale(*, session: Session, store_code: str, sale_id: str) -> Sale:
    sale = session.exec(
        select(Sale).where(Sale.store_code == store_code, Sale.sale_id == sale_id)
    ).first()
    if sale is None:
        raise SaleNotFound(f"No sale {sale_id} of store {store_code}.")
    return sale


def list_sales(
    *,
    session: Session,
    page: PageParams,
    store_code: str | None,
    isrc: str | None = None,
    territory: str | None = None,
    period: str | None = None,
) -> tuple[Sequence[Sale], str | None]:
    query = select(Sale)
    if store_code is not None:
        query = query.where(Sale.store_code == store_code)
    if isrc:
        query = query.where(Sale.isrc == isrc.replace("-", "").upper())
    if territory:
        query = query.where(Sale.territory == territory.upper())
    if period:
        query = query.where(Sale.period == period)
    return paginate(session, query, key=Sale.id, params=page, convert=int)


def refunded_units(session: Session, sale_pks: Iterable[int]) -> dict[int, int]:
    pks = list(set(sale_pks))
    if not pks:
        return {}
    rows = session.exec(
        select(Refund.sale_pk, func.sum(Refund.quantity))
        .where(col(Refund.sale_pk).in_(pks))
        .group_by(col(Refund.sale_pk))
    )
    return {pk: int(total or 0) for pk, total in rows}


def sales_by_id(session: Session, store_code: str, sale_ids: Iterable[str]) -> dict[str, Sale]:
    """The store's sales among ``sale_ids`` (another store's are never found). One query."""
    ids = sorted(set(sale_ids))
    if not ids:
        return {}
    query = select(Sale).where(Sale.store_code == store_code, among(session, SALES.c.sale_id, ids))
    return {sale.sale_id: sale for sale in session.exec(query)}


def refunds_by_id(
    session: Session, store_code: str, refund_ids: Iterable[str]
) -> dict[str, Refund]:
    """The store's recorded refunds among ``refund_ids``. One query."""
    ids = sorted(set(refund_ids))
    if not ids:
        return {}
    refunds = table_of(Refund)
    query = select(Refund).where(
        Refund.store_code == store_code, among(session, refunds.c.refund_id, ids)
    )
    return {refund.refund_id: refund for refund in session.exec(query)}


def sale_facts() -> sa.Table:
    """What other domains read of a sale in their own set-based queries (its ``id``, the
    foreign key legs keep as ``sale_pk``; ``sold_at``, ``currency``, ``period``): the one
    way they name this domain's table."""
    return SALES


def sale_day(session: Session) -> ColumnElement[Any]:
    """The UTC calendar day of ``sale.sold_at`` (a date on PostgreSQL, text on SQLite)."""
    if is_postgresql(session):
        return sa.cast(sa.func.timezone("UTC", SALES.c.sold_at), sa.Date)
    # SQLite keeps UTC timestamps as ISO text: its first ten characters are the day.
    return sa.func.substr(SALES.c.sold_at, 1, 10)

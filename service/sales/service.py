"""Recording sales: one batch = one transaction, a handful of set-based statements.

Order of a batch:

1. rows that do not validate are ``invalid``; a sale_id repeated inside the batch takes
   the first row's outcome (``conflict`` if its content differs);
2. sale_ids the store already recorded are ``duplicate`` (same content) or ``conflict``;
3. the rest are priced from one snapshot of catalog, tariffs, FX and mandates (a
   per-process cache checked against the catalog version token), *before* the ledger
   chain's lock, so that several workers price in parallel;
4. under the chain's lock: if the catalog version changed since, the rows are priced
   again (the catalog a sale is priced against and the suspense releases a catalog
   change books never miss each other); rows are checked once against takedowns
   (``withdrawn``), unpriceable ones are ``unlicensed``;
5. accepted rows are inserted with ``INSERT .. ON CONFLICT DO NOTHING RETURNING`` (the
   unique constraint, not the read in step 2, is what makes a sale_id count once: a
   row another writer recorded meanwhile becomes a duplicate or a conflict) and their
   ledger transactions are appended together, in their booking months.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, col, func, select

from service.ledger.service import (
    Leg,
    PreparedPosting,
    check_balanced,
    leg_line_pieces,
    lock_chain,
    micro_text,
    post_prepared,
    text_field,
)
from service.pagination import PageParams, paginate
from service.sales import basis as bases
from service.sales.exceptions import REJECTIONS, SaleNotFound
from service.sales.ingest import Row
from service.sales.models import Refund, Sale
from service.sales.postings import SALE, SaleDims, legs_for, royalties, sale_royalties
from service.sales.pricing import Snapshot, load_snapshot, priced, sale_date
from service.sales.schemas import BatchResult, RowError, RoyaltyPublic, SaleIn, SaleResult
from service.sales.snapshot import read_token
from service.sql import copy_rows, table_of, unnest_insert
from service.statements.periods import booking_periods
from service.takedowns.service import SaleAsset, withdrawn_sales
from service.timeutil import period_of, utcnow

SALES = table_of(Sale)
_COMPARED = ("isrc", "territory", "sold_at", "quantity", "unit_price", "currency")


def differences(stored: "StoredSale | SaleIn", sent: SaleIn) -> list[str]:
    """Fields whose values differ (instants and amounts compared by value)."""
    return [name for name in _COMPARED if getattr(stored, name) != getattr(sent, name)]


def _rejected(sale_id: str | None, code: str, detail: str, **extra: Any) -> SaleResult:
    return SaleResult(
        sale_id=sale_id,
        status="rejected",
        error=RowError(code=code, detail=detail, **extra),
        royalties=[],
    )


def _conflict(sale_id: str, fields: Iterable[str], where: str) -> SaleResult:
    return _rejected(
        sale_id,
        "conflict",
        f"sale_id {sale_id} was {where} with a different {', '.join(fields)}.",
    )


@dataclass(slots=True)
class _Batch:
    store_code: str
    rows: Sequence[Row]
    results: list[SaleResult | None]
    duplicates: dict[int, int]  # row index -> sale pk whose first result it replays

    def classify(self, index: int, stored: "StoredSale", sent: SaleIn) -> None:
        changed = differences(stored, sent)
        if changed:
            self.results[index] = _conflict(sent.sale_id, changed, "already recorded")
        else:
            assert stored.id is not None
            self.duplicates[index] = stored.id


def record_sales(*, session: Session, store_code: str, rows: Sequence[Row]) -> BatchResult:
    batch = _Batch(store_code, rows, [None] * len(rows), {})
    first: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for i, row in enumerate(rows):
        if row.sale is None:
            detail = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in row.errors
            )
            batch.results[i] = _rejected(row.sale_id, "invalid", detail, errors=row.errors)
        elif row.sale.sale_id in first:
            repeats.append((i, first[row.sale.sale_id]))
        else:
            first[row.sale.sale_id] = i

    # Before the chain lock, so that several workers read and price in parallel: what the
    # store already recorded (a sale_id recorded meanwhile is still caught, by the unique
    # constraint at insert) and the pricing of the rest, which writes nothing.
    stored = _stored(session, store_code, first)
    fresh = []
    for sale_id, i in first.items():
        sale = rows[i].sale
        assert sale is not None
        if sale_id in stored:
            batch.classify(i, stored[sale_id], sale)
        else:
            fresh.append(i)
    pricing = _price(session, batch, fresh)
    lock_chain(session)
    # Under the lock, the catalog must still be the one priced against (a catalog change
    # releases held sales under this lock: it must see ours, or we its catalog).
    if pricing is not None and read_token(session) != pricing.snap.generation.token:
        pricing = _price(session, batch, fresh)
    if pricing is not None:
        _record_fresh(session, batch, pricing)

    replayed = sale_royalties(session, batch.duplicates.values())
    for i, pk in batch.duplicates.items():
        batch.results[i] = SaleResult(
            sale_id=rows[i].sale_id, status="duplicate", error=None, royalties=replayed[pk]
        )
    for i, j in repeats:
        batch.results[i] = _repeat(rows[i], rows[j], batch.results[j])

    results = [r for r in batch.results if r is not None]
    assert len(results) == len(rows)
    return BatchResult(
        recorded=sum(r.status == "recorded" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
        results=results,
    )


def _repeat(row: Row, first_row: Row, first: SaleResult | None) -> SaleResult:
    """A sale_id seen earlier in the same batch takes that row's outcome."""
    assert row.sale is not None and first_row.sale is not None and first is not None
    changed = differences(first_row.sale, row.sale)
    if changed:
        return _conflict(row.sale.sale_id, changed, "sent earlier in this batch")
    if first.status == "rejected":
        return first
    return SaleResult(
        sale_id=row.sale.sale_id, status="duplicate", error=None, royalties=first.royalties
    )


_STORED_COLUMNS = (SALES.c.id, SALES.c.sale_id, *(SALES.c[name] for name in _COMPARED))
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


def _stored(session: Session, store_code: str, sale_ids: Iterable[str]) -> dict[str, StoredSale]:
    """The store's recorded sales among ``sale_ids`` (plain rows: no ORM objects)."""
    ids = sorted(sale_ids)
    found: dict[str, StoredSale] = {}
    postgresql = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        query: sa.Executable = (
            _STORED_PG.bindparams(ids=chunk, store=store_code)
            if postgresql
            else sa.select(*_STORED_COLUMNS).where(
                SALES.c.store_code == store_code, SALES.c.sale_id.in_(chunk)
            )
        )
        found.update((row.sale_id, row) for row in session.execute(query))
    return found


@dataclass(frozen=True, slots=True)
class _LegTemplate:
    """One leg of a plan without the sale's own dimensions (sale pk, isrc, iswc,
    territory, gross), and its canonical line in pieces around them."""

    store: bool  # the store's balancing leg: its account names the batch's store
    values: tuple[Any, ...]  # the leg's fields in leg_line order; dimensions None
    account: str  # the account's encoding (unused for the store's leg)
    pieces: tuple[str, str, str]  # see service.ledger.service.leg_line_pieces


@dataclass(slots=True)
class _Plan:
    """What recording a sale books, shared by every sale with the same priced inputs:
    same basis, quantity, territory and currency give the same deltas, stored basis and
    royalties (only the sale's own dimensions differ on its legs)."""

    deltas: list[bases.Delta]
    held: bool
    basis_json: str  # the stored basis, as the JSON text the row holds
    basis: bases.Basis
    royalties: list[RoyaltyPublic] | None = None  # from the first sale's legs
    legs: list[_LegTemplate] | None = None  # from the first sale's legs


def _templates(legs: list[Leg]) -> list[_LegTemplate]:
    templates = []
    for leg in legs:
        values = (
            leg.account,
            leg.currency,
            leg.amount,
            None,
            leg.right_type,
            None,
            None,
            None,
            leg.holder_id,
            leg.society_code,
            leg.non_member,
            leg.suspense_reason,
            leg.share,
            leg.units,
            None,
        )
        store = leg.account.startswith("store:")
        templates.append(
            _LegTemplate(store, values, text_field(leg.account), leg_line_pieces(*values))
        )
    return templates


def _prepared(
    templates: list[_LegTemplate],
    store_account: tuple[str, str],
    pk: int,
    sale: SaleIn,
    iswc: str | None,
    period: str,
    reference: str,
) -> PreparedPosting:
    """The sale's posting from its plan's templates (what legs_for and post would build)."""
    gross = sale.quantity * sale.unit_price
    pk_text = str(pk)
    dims = f"{text_field(sale.isrc)}|{text_field(iswc)}|{text_field(sale.territory)}"
    gross_text = micro_text(gross)
    values = []
    lines = []
    for t in templates:
        v = t.values
        account, account_text = store_account if t.store else (v[0], t.account)
        before, middle, after = t.pieces
        values.append(
            (account, v[1], v[2], pk, v[4], sale.isrc, iswc, sale.territory, *v[8:14], gross)
        )
        lines.append(f"{account_text}|{before}{pk_text}{middle}{dims}{after}{gross_text}")
    return PreparedPosting(SALE, reference, period, False, utcnow(), values, lines)


def _plan(basis: bases.Basis, sale: SaleIn) -> _Plan:
    stored = bases.dump(basis)
    return _Plan(
        deltas=bases.sale_deltas(basis, units=sale.quantity, territory=sale.territory),
        held=bases.holds(basis),
        basis_json=json.dumps(stored),
        basis=basis,
    )


@dataclass(slots=True)
class _Pricing:
    snap: Snapshot
    sales: list[tuple[int, SaleIn, _Plan | None]]  # None: no tariff (unlicensed)


def _price(session: Session, batch: _Batch, fresh: list[int]) -> _Pricing | None:
    """Every fresh sale's plan from one snapshot (reads only: no lock needed)."""
    valid = [(i, sale) for i in fresh if (sale := batch.rows[i].sale) is not None]
    if not valid:
        return None
    snap = load_snapshot(session=session, sales=[sale for _, sale in valid])
    plans = snap.generation.memo_plans
    priced_sales: list[tuple[int, SaleIn, _Plan | None]] = []
    for i, sale in valid:
        key, basis = priced(sale, snap)
        plan = None
        if basis:
            plan_key = (key, sale.quantity, sale.territory, sale.currency)
            plan = plans.get(plan_key)
            if plan is None:
                plan = plans[plan_key] = _plan(basis, sale)
        priced_sales.append((i, sale, plan))
    return _Pricing(snap, priced_sales)


def _record_fresh(session: Session, batch: _Batch, pricing: _Pricing) -> None:
    snap = pricing.snap
    withdrawn = withdrawn_sales(
        session=session,
        sales=[
            SaleAsset(s.isrc, snap.iswc_of(s.isrc), s.territory, s.sold_at)
            for _, s, _ in pricing.sales
        ],
    )
    accepted: list[tuple[int, SaleIn, _Plan]] = []
    for j, (i, sale, plan) in enumerate(pricing.sales):
        if j in withdrawn:
            batch.results[i] = _rejected(
                sale.sale_id,
                "withdrawn",
                f"{sale.isrc} is taken down in {sale.territory} on that date.",
                takedown_id=withdrawn[j],
            )
            continue
        if plan is None:
            batch.results[i] = _rejected(
                sale.sale_id,
                "unlicensed",
                f"No tariff of any right type covers {sale.territory} "
                f"on {sale_date(sale.sold_at)}.",
            )
            continue
        accepted.append((i, sale, plan))

    inserted = _insert_sales(session, batch.store_code, accepted, snap)

    store_account = f"store:{batch.store_code}"
    store_encoded = (store_account, text_field(store_account))
    postings: list[PreparedPosting] = []
    recorded: list[tuple[int, list[RoyaltyPublic]]] = []
    raced: list[tuple[int, SaleIn]] = []
    for i, sale, plan in accepted:
        pk = inserted.get(sale.sale_id)
        if pk is None:  # another writer recorded it first; the constraint said so
            raced.append((i, sale))
            continue
        iswc = snap.iswc_of(sale.isrc)
        if plan.legs is None or plan.royalties is None:
            dims = SaleDims(
                pk,
                batch.store_code,
                sale.isrc,
                iswc,
                sale.territory,
                sale.currency,
                sale.unit_price,
            )
            legs = legs_for(dims, plan.deltas, store_units=sale.quantity)
            check_balanced(legs)
            plan.legs, plan.royalties = _templates(legs), royalties(legs)
        if plan.legs:
            reference = f"sale:{batch.store_code}/{sale.sale_id}"
            period = period_of(sale.sold_at)
            postings.append(_prepared(plan.legs, store_encoded, pk, sale, iswc, period, reference))
        recorded.append((i, plan.royalties))
    booked = booking_periods(session=session, periods={p.period for p in postings})
    for posting in postings:
        posting.period, posting.adjustment = booked[posting.period]
    post_prepared(session=session, postings=postings)
    for i, royalty_list in recorded:
        batch.results[i] = SaleResult(
            sale_id=batch.rows[i].sale_id, status="recorded", error=None, royalties=royalty_list
        )
    if raced:
        stored = _stored(session, batch.store_code, (sale.sale_id for _, sale in raced))
        for i, sale in raced:
            batch.classify(i, stored[sale.sale_id], sale)


_SALE_COLUMNS = (
    "store_code",
    "sale_id",
    "isrc",
    "territory",
    "sold_at",
    "period",
    "quantity",
    "unit_price",
    "currency",
    "iswc",
    "held",
    "basis",
    "recorded_at",
)
# Rows are staged with COPY in a temporary table of the same column types, then moved
# with one INSERT .. ON CONFLICT DO NOTHING RETURNING, in the order they were sent.
_STAGING = "sale_incoming"
_CREATE_STAGING = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ON COMMIT DELETE ROWS AS "  # noqa: S608
    f"SELECT 0 AS n, {', '.join(_SALE_COLUMNS)} FROM sale WITH NO DATA"
)
_MOVE_STAGED = (
    f"WITH staged AS (DELETE FROM {_STAGING} RETURNING *) "  # noqa: S608 (our own names)
    f"INSERT INTO sale ({', '.join(_SALE_COLUMNS)}) "
    f"SELECT {', '.join(_SALE_COLUMNS)} FROM staged ORDER BY n "
    "ON CONFLICT (store_code, sale_id) DO NOTHING RETURNING id, sale_id"
)


def _insert_sales(
    session: Session, store_code: str, accepted: list[tuple[int, SaleIn, _Plan]], snap: Snapshot
) -> dict[str, int]:
    """Insert the accepted sales; sale_id -> new id for those the constraint let in.

    ``INSERT .. ON CONFLICT (store_code, sale_id) DO NOTHING RETURNING``: a sale_id
    recorded meanwhile by another writer is simply absent from the answer. PostgreSQL
    stages the rows with COPY first (no per-row SQL, no parameter arrays).
    """
    if not accepted:
        return {}
    if session.get_bind().dialect.name != "postgresql":
        rows = [
            {
                "store_code": store_code,
                "sale_id": sale.sale_id,
                "isrc": sale.isrc,
                "territory": sale.territory,
                "sold_at": sale.sold_at,
                "period": period_of(sale.sold_at),
                "quantity": sale.quantity,
                "unit_price": sale.unit_price,
                "currency": sale.currency,
                "iswc": snap.iswc_of(sale.isrc),
                "held": plan.held,
                "basis": plan.basis_json,
                "recorded_at": utcnow(),
            }
            for _, sale, plan in accepted
        ]
        return insert_ignoring_duplicates(
            session, SALES, rows, ("store_code", "sale_id"), "sale_id", json_text=True
        )
    connection = session.connection()
    connection.exec_driver_sql(_CREATE_STAGING)
    copy_rows(
        session,
        SALES,
        ("n", *_SALE_COLUMNS),
        (
            (
                n,
                store_code,
                sale.sale_id,
                sale.isrc,
                sale.territory,
                sale.sold_at,
                period_of(sale.sold_at),
                sale.quantity,
                sale.unit_price,
                sale.currency,
                snap.iswc_of(sale.isrc),
                plan.held,
                plan.basis_json,
                utcnow(),
            )
            for n, (_, sale, plan) in enumerate(accepted)
        ),
        into=_STAGING,
    )
    return {sale_id: pk for pk, sale_id in connection.exec_driver_sql(_MOVE_STAGED)}


def insert_ignoring_duplicates(
    session: Session,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    unique: Sequence[str],
    key: str,
    *,
    json_text: bool = False,
) -> dict[Any, int]:
    """``INSERT .. ON CONFLICT (unique) DO NOTHING RETURNING id, key`` for many rows.

    Returns key -> new id for the rows actually inserted; a row the constraint refused
    (recorded meanwhile by someone else) is simply absent. One ``unnest`` statement on
    PostgreSQL; an executemany (multi-row VALUES batches) on SQLite. ``json_text``: JSON
    columns are given as encoded text (SQLite stores JSON as that text).
    """
    if not rows:
        return {}
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        suffix = f"ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING id, {key}"
        text, params = unnest_insert(dialect, table, rows, suffix=suffix)
        return {row[1]: row[0] for row in session.execute(text, params)}
    target = _as_text_json(table) if json_text else table
    statement = (
        sqlite.insert(target)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(target.c.id, target.c[key])
    )
    return {row[1]: row[0] for row in session.execute(statement, list(rows))}


def _as_text_json(table: sa.Table) -> sa.TableClause:
    """``table`` with its JSON columns typed as text (values already encoded)."""
    return sa.table(
        table.name,
        *(
            sa.column(c.key, sa.Text() if isinstance(c.type, sa.JSON) else c.type)
            for c in table.columns
        ),
    )


def record_one(*, session: Session, store_code: str, row: Row) -> SaleResult:
    """A bare sale: its result, or its rejection raised as a problem (nothing written)."""
    result = record_sales(session=session, store_code=store_code, rows=[row]).results[0]
    if result.error is not None:
        error = result.error
        errors = [{**e, "loc": ["body", *e["loc"]]} for e in error.errors or []]
        extra = {"takedown_id": error.takedown_id} if error.takedown_id else {}
        raise REJECTIONS[error.code](error.detail, errors=errors, **extra)
    return result


# --- reading ---------------------------------------------------------------------------------


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

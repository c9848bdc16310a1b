"""Recording sales: one batch = one transaction, a handful of set-based statements.

Order of a batch:

1. rows that do not validate are ``invalid``; a sale_id repeated inside the batch takes
   the first row's outcome (``conflict`` if its content differs);
2. sale_ids the store already recorded are ``duplicate`` (same content) or ``conflict``
   (both in ``service.sales.classification``);
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
   ledger transactions are appended together, in their booking months, under the same
   lock.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from service.bounds import MAX_MONEY
from service.ledger import accounts
from service.ledger.models import LedgerHead
from service.ledger.periods import booking_periods
from service.ledger.service import PreparedPosting, append, lock_chain
from service.ledger.templates import Dimensions, Template
from service.sales import basis as bases
from service.sales.classification import Batch, rejected
from service.sales.exceptions import REJECTIONS
from service.sales.generation import read_token
from service.sales.ingest import Row
from service.sales.postings import (
    SALE,
    SaleDims,
    legs_for,
    royalties,
    sale_bookings,
    sale_royalties,
)
from service.sales.pricing import Snapshot, load_snapshot, priced, sale_date
from service.sales.repository import insert_sales, stored_sales
from service.sales.schemas import BatchResult, RoyaltyPublic, SaleIn, SaleResult
from service.takedowns.service import SaleAsset, withdrawn_sales
from service.timeutil import period_of, utcnow


def record_sales(
    *, session: Session, store_code: str, rows: Sequence[Row], minimal: bool = False
) -> BatchResult:
    """Every row's outcome. ``minimal``: duplicates are not answered with their first
    royalties, leaf and booking (``Prefer: return=minimal`` answers counts and rejections
    only, so reading them back from the ledger would be wasted)."""
    batch = Batch.of(store_code, rows)
    # Before the chain lock, so that several workers read and price in parallel: what the
    # store already recorded (a sale_id recorded meanwhile is still caught, by the unique
    # constraint at insert) and the pricing of the rest, which writes nothing.
    fresh = batch.fresh(stored_sales(session, store_code, batch.first))
    pricing = _price(session, batch, fresh)
    locked = lock_chain(session)
    # Under the lock, the catalog must still be the one priced against (a catalog change
    # releases held sales under this lock: it must see ours, or we its catalog).
    if pricing is not None and read_token(session) != pricing.snap.generation.token:
        pricing = _price(session, batch, fresh)
    if pricing is not None:
        _record_fresh(session, locked, batch, pricing)
    if minimal:
        return batch.finish({}, {})
    first = batch.duplicates.values()
    return batch.finish(sale_royalties(session, first), sale_bookings(session, first))


def record_one(*, session: Session, store_code: str, row: Row) -> SaleResult:
    """A bare sale: its result, or its rejection raised as a problem (nothing written)."""
    result = record_sales(session=session, store_code=store_code, rows=[row]).results[0]
    if result.error is not None:
        error = result.error
        errors = [{**e, "loc": ["body", *e["loc"]]} for e in error.errors or []]
        extra = {"takedown_id": error.takedown_id} if error.takedown_id else {}
        raise REJECTIONS[error.code](error.detail, errors=errors, **extra)
    return result


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
    template: Template | None = None  # from the first sale's legs; None: nothing moves


def _plan(basis: bases.Basis, sale: SaleIn) -> _Plan:
    return _Plan(
        deltas=bases.sale_deltas(basis, units=sale.quantity, territory=sale.territory),
        held=bases.holds(basis),
        basis_json=json.dumps(bases.dump(basis)),
        basis=basis,
    )


@dataclass(slots=True)
class _Pricing:
    snap: Snapshot
    sales: list[tuple[int, SaleIn, _Plan | None]]  # None: no tariff (unlicensed)


def _price(session: Session, batch: Batch, fresh: list[int]) -> _Pricing | None:
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


Accepted = list[tuple[int, SaleIn, _Plan]]


def _accepted(session: Session, batch: Batch, pricing: _Pricing) -> Accepted:
    """The priced sales that may be recorded; the others rejected (withdrawn, unlicensed)."""
    snap = pricing.snap
    withdrawn = withdrawn_sales(
        session=session,
        sales=[
            SaleAsset(s.isrc, snap.iswc_of(s.isrc), s.territory, s.sold_at)
            for _, s, _ in pricing.sales
        ],
    )
    accepted: Accepted = []
    for j, (i, sale, plan) in enumerate(pricing.sales):
        if j in withdrawn:
            batch.results[i] = rejected(
                sale.sale_id,
                "withdrawn",
                f"{sale.isrc} is taken down in {sale.territory} on that date.",
                takedown_id=withdrawn[j],
            )
        elif plan is None:
            batch.results[i] = rejected(
                sale.sale_id,
                "unlicensed",
                f"No tariff of any right type covers {sale.territory} "
                f"on {sale_date(sale.sold_at)}.",
            )
        elif _overflows(plan):
            batch.results[i] = rejected(
                sale.sale_id,
                "invalid",
                f"The royalty of {sale.quantity} units exceeds {MAX_MONEY} {sale.currency}; "
                "send fewer units per sale.",
                errors=[{"loc": ["quantity"], "msg": "royalty too large to book"}],
            )
        else:
            accepted.append((i, sale, plan))
    return accepted


def _overflows(plan: _Plan) -> bool:
    # The store's leg is the sum of every beneficiary's: the largest amount one row books.
    # A tariff times a quantity can exceed what a BIGINT of micro-units holds; that row
    # alone is refused, the rest of the batch is recorded.
    return sum(abs(delta.amount) for delta in plan.deltas) > MAX_MONEY


def _insert(
    session: Session, store_code: str, accepted: Accepted, snap: Snapshot
) -> dict[str, int]:
    rows = [
        (
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
        for _, sale, plan in accepted
    ]
    return insert_sales(session, rows)


def _record_fresh(session: Session, locked: LedgerHead, batch: Batch, pricing: _Pricing) -> None:
    snap = pricing.snap
    accepted = _accepted(session, batch, pricing)
    inserted = _insert(session, batch.store_code, accepted, snap)
    store_account = accounts.store(batch.store_code)
    postings: list[PreparedPosting] = []
    posted: list[int] = []  # the row of each posting: its result gets the leaf index
    raced: list[tuple[int, SaleIn]] = []
    for i, sale, plan in accepted:
        pk = inserted.get(sale.sale_id)
        if pk is None:  # another writer recorded it first; the constraint said so
            raced.append((i, sale))
            continue
        iswc = snap.iswc_of(sale.isrc)
        gross = sale.quantity * sale.unit_price
        dims = Dimensions(pk, sale.isrc, iswc, sale.territory, gross)
        royalty_list, template = _booked(plan, batch.store_code, sale, dims)
        if template is not None:
            posted.append(i)
            postings.append(
                template.fill(
                    kind=SALE,
                    reference=f"{SALE}:{batch.store_code}/{sale.sale_id}",
                    month=period_of(sale.sold_at),
                    dims=dims,
                    balancing_account=store_account,
                )
            )
        batch.results[i] = SaleResult(
            sale_id=sale.sale_id, status="recorded", error=None, royalties=royalty_list
        )
    sequences = append(session=session, postings=postings, locked=locked)
    # The months the ledger booked them in (under the same lock, so the same answer).
    booked = booking_periods(
        session=session, periods={period_of(sale.sold_at) for _, sale, _ in accepted}
    )
    for i, sale, _ in accepted:
        result = batch.results[i]
        if result is not None and result.status == "recorded":
            result.booked_period, result.adjustment = booked[period_of(sale.sold_at)]
    for i, sequence in zip(posted, sequences, strict=True):
        # A store's receipt: the transparency log's leaf of the sale (docs/transparency.md).
        if (result := batch.results[i]) is not None:
            result.leaf_index = sequence - 1
    if raced:
        stored = stored_sales(session, batch.store_code, (sale.sale_id for _, sale in raced))
        for i, sale in raced:
            batch.classify(i, stored[sale.sale_id], sale)


def _booked(
    plan: _Plan, store_code: str, sale: SaleIn, dims: Dimensions
) -> tuple[list[RoyaltyPublic], Template | None]:
    """The plan's royalties and posting template, built from the first sale's legs."""
    if plan.royalties is None:
        sale_dims = SaleDims(
            dims.sale_pk,
            store_code,
            sale.isrc,
            dims.iswc,
            sale.territory,
            sale.currency,
            sale.unit_price,
        )
        legs = legs_for(sale_dims, plan.deltas, store_units=sale.quantity)
        # legs_for puts the store's balancing leg last: its account is this batch's store.
        plan.template = Template.of(legs, balancing=len(legs) - 1) if legs else None
        plan.royalties = royalties(legs)
    return plan.royalties, plan.template

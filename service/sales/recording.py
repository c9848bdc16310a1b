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
from decimal import Decimal

from sqlmodel import Session

from service.bounds import MAX_MONEY
from service.ledger import accounts
from service.ledger.models import LedgerHead
from service.ledger.periods import booking_periods
from service.ledger.service import Leg, PreparedPosting, append, lock_chain
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
        _record_fresh(session, locked, batch, pricing, minimal=minimal)
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
    legs (only the sale's own dimensions differ on its legs). Built before the chain's
    lock, so under it a sale costs only the filling of its template."""

    held: bool
    basis_json: str  # the stored basis, as the JSON text the row holds
    legs: list[Leg]  # with a placeholder sale and store: only their fixed parts are used
    template: Template | None  # None: nothing moves
    amounts: Decimal  # what the legs move in all: the store's leg
    _royalties: list[RoyaltyPublic] | None = None

    def royalties(self) -> list[RoyaltyPublic]:
        """The answer's royalties (built on first use: a minimal answer never needs them)."""
        if self._royalties is None:
            self._royalties = royalties(self.legs)
        return self._royalties


def _plan(basis: bases.Basis, basis_json: str, sale: SaleIn) -> _Plan:
    deltas = bases.sale_deltas(basis, units=sale.quantity, territory=sale.territory)
    # The legs of the plan's first sale; the template keeps what every sale shares (the
    # sale's pk, ISRC, ISWC, territory and gross are filled in per sale, the store's
    # balancing leg is named per batch).
    dims = SaleDims(0, "-", sale.isrc, None, sale.territory, sale.currency, sale.unit_price)
    legs = legs_for(dims, deltas, store_units=sale.quantity)
    return _Plan(
        held=bases.holds(basis),
        basis_json=basis_json,
        legs=legs,
        template=Template.of(legs, balancing=len(legs) - 1) if legs else None,
        amounts=sum((abs(d.amount) for d in deltas), Decimal(0)),
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
    plans, stored = snap.generation.memo_plans, snap.generation.memo_stored
    priced_sales: list[tuple[int, SaleIn, _Plan | None]] = []
    for i, sale in valid:
        key, basis = priced(sale, snap)
        plan = None
        if basis:
            plan_key = (key, sale.quantity, sale.territory, sale.currency)
            plan = plans.get(plan_key)
            if plan is None:
                basis_json = stored.get(key)
                if basis_json is None:  # one basis, many quantities: encoded once
                    basis_json = stored[key] = json.dumps(bases.dump(basis))
                plan = plans[plan_key] = _plan(basis, basis_json, sale)
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
    return plan.amounts > MAX_MONEY


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


def _record_fresh(
    session: Session, locked: LedgerHead, batch: Batch, pricing: _Pricing, *, minimal: bool
) -> None:
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
        if plan.template is not None:
            iswc = snap.iswc_of(sale.isrc)
            dims = Dimensions(pk, sale.isrc, iswc, sale.territory, sale.quantity * sale.unit_price)
            posted.append(i)
            postings.append(
                plan.template.fill(
                    kind=SALE,
                    reference=f"{SALE}:{batch.store_code}/{sale.sale_id}",
                    month=period_of(sale.sold_at),
                    dims=dims,
                    balancing_account=store_account,
                )
            )
        # Trusted values (validated rows, the engine's amounts): no re-validation per sale.
        batch.results[i] = SaleResult.model_construct(
            sale_id=sale.sale_id,
            status="recorded",
            error=None,
            royalties=[] if minimal else plan.royalties(),
            leaf_index=None,
            booked_period=None,
            adjustment=None,
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

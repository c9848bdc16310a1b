"""Recording sales: one batch = one transaction, a handful of set-based statements.

Order of a batch:

1. rows that do not validate are ``invalid``; a sale_id repeated inside the batch takes
   the first row's outcome (``conflict`` if its content differs);
2. sale_ids the store already recorded are ``duplicate`` (same content) or ``conflict``
   (both in ``service.sales.intake.classification``);
3. *before* the ledger chain's lock, so that several workers do it in parallel: the rest
   are priced into plans (``service.sales.pricing.plans``) from one snapshot of catalog, tariffs,
   FX and mandates; unpriceable ones are ``unlicensed``; the others are inserted, inside
   a savepoint, with ``INSERT .. ON CONFLICT DO NOTHING RETURNING`` (the unique
   constraint, not the read in step 2, is what makes a sale_id count once: a row another
   writer recorded meanwhile becomes a duplicate or a conflict), and each one's ledger
   transaction is filled in from its plan's template;
4. under the chain's lock, which covers only what must be decided consistently with the
   chain: if the catalog version changed since step 3, the savepoint is rolled back and
   step 3 runs again under the lock (the catalog a sale is priced against and the
   suspense releases a catalog change books never miss each other); rows are checked
   once against takedowns (``withdrawn``: a takedown is decided under the same lock; a
   withdrawn row inserted in step 3 is deleted again); the transactions are appended
   together, in their booking months.

Sale ids are drawn in step 3, so two concurrent batches may commit in the opposite order
of their ids; rows are inserted in sale_id order, so that two batches racing on the same
sale_ids always wait for each other in the same order and never deadlock.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from service.ledger import accounts
from service.ledger.encoding import text_field
from service.ledger.kinds import TransactionKind
from service.ledger.models import LedgerHead
from service.ledger.periods import Booking, booking_periods
from service.ledger.service import PreparedPosting, append, lock_chain
from service.sales.exceptions import REJECTIONS
from service.sales.intake.classification import Batch, rejected
from service.sales.intake.ingest import Row
from service.sales.postings import royalties, sale_bookings, sale_royalties
from service.sales.pricing.compiled import Applied
from service.sales.pricing.generation import read_token
from service.sales.pricing.plans import Licensed, Pricing, licensed, price
from service.sales.repository import NewSale, delete_sales, insert_sales, stored_sales
from service.sales.results import BatchOutcome, SaleOutcome
from service.sales.schemas import SaleIn
from service.sql import is_postgresql
from service.takedowns.service import SaleAsset, withdrawn_sales
from service.timeutil import period_of, utcnow


def record_sales(
    *, session: Session, store_code: str, rows: Sequence[Row], minimal: bool = False
) -> BatchOutcome[SaleOutcome]:
    """Every row's outcome. ``minimal``: duplicates are not answered with their first
    royalties, leaf and booking (``Prefer: return=minimal`` answers counts and rejections
    only, so reading them back from the ledger would be wasted)."""
    batch = Batch.of(store_code, rows)
    fresh = batch.fresh(stored_sales(session, store_code, batch.first))
    staged = _stage(session, batch, fresh, minimal=minimal)
    if staged is not None:  # a batch with nothing to record (replays) never takes the lock
        locked = lock_chain(session)
        if read_token(session) != staged.pricing.snap.generation.token:
            # The catalog changed after pricing (a catalog change releases held sales
            # under this lock: it must see ours, or we its catalog): again, locked.
            staged.savepoint.rollback()
            for i in fresh:
                batch.results[i] = None
                batch.duplicates.pop(i, None)
            staged = _stage(session, batch, fresh, minimal=minimal)
        if staged is not None:
            staged.savepoint.commit()
            _book(session, locked, batch, staged)
    if minimal:
        return batch.finish({}, {})
    first = batch.duplicates.values()
    return batch.finish(sale_royalties(session, first), sale_bookings(session, first))


def record_one(*, session: Session, store_code: str, row: Row) -> SaleOutcome:
    """A bare sale: its result, or its rejection raised as a problem (nothing written)."""
    result = record_sales(session=session, store_code=store_code, rows=[row]).results[0]
    if result.error is not None:
        error = result.error
        errors = [{**e, "loc": ["body", *e["loc"]]} for e in error.errors or []]
        extra = {"takedown_id": error.takedown_id} if error.takedown_id else {}
        raise REJECTIONS[error.code](error.detail, errors=errors, **extra)
    return result


@dataclass(slots=True)
class _Staged:
    """Step 3's work: the priced sales, the rows inserted and their transactions."""

    pricing: Pricing
    savepoint: SessionTransaction
    minimal: bool  # answer no royalties (``Prefer: return=minimal``)
    # row, sale, pk, what it was priced at: its outcome is written once it is booked
    inserted: list[tuple[int, SaleIn, int, Applied]] = field(default_factory=list)
    postings: list[PreparedPosting] = field(default_factory=list)
    posted: list[int] = field(default_factory=list)  # the row of each posting


def _stage(session: Session, batch: Batch, fresh: list[int], *, minimal: bool) -> _Staged | None:
    """Price, insert and fill in the fresh rows' transactions (no chain lock needed); the
    inserted rows' outcomes wait for the booking (``_book``)."""
    pricing = price(session, batch, fresh)
    if pricing is None:
        return None
    sales = licensed(batch, pricing)
    staged = _Staged(pricing, session.begin_nested(), minimal)
    pks = _insert(session, batch.store_code, sales, pricing)
    store_account = accounts.store(batch.store_code)
    store_text, now = text_field(store_account), utcnow()
    as_copy = is_postgresql(session)
    raced: list[tuple[int, SaleIn]] = []
    for i, sale, applied in sales:
        pk = pks.get(sale.sale_id)
        if pk is None:  # another writer recorded it first; the constraint said so
            raced.append((i, sale))
            continue
        staged.inserted.append((i, sale, pk, applied))
        posting = applied.posting(
            kind=TransactionKind.sale,
            reference=f"{TransactionKind.sale}:{batch.store_code}/{sale.sale_id}",
            month=period_of(sale.sold_at),
            created_at=now,
            sale_pk=pk,
            isrc=sale.isrc,
            iswc=pricing.snap.iswc_of(sale.isrc),
            territory=sale.territory,
            store_account=store_account,
            store_text=store_text,
            as_copy=as_copy,
        )
        if posting is not None:
            staged.posted.append(i)
            staged.postings.append(posting)
    if raced:
        # ON CONFLICT waited for the other writer to commit: its row is visible now.
        stored = stored_sales(session, batch.store_code, (sale.sale_id for _, sale in raced))
        for i, sale in raced:
            batch.classify(i, stored[sale.sale_id], sale)
    return staged


def _recorded(
    sale: SaleIn, applied: Applied, booking: Booking, leaf_index: int | None, *, minimal: bool
) -> SaleOutcome:
    return SaleOutcome(
        sale.sale_id,
        "recorded",
        royalties=[] if minimal else royalties(applied.beneficiary_legs()),
        leaf_index=leaf_index,
        booking=booking,
    )


def _insert(session: Session, store_code: str, sales: Licensed, pricing: Pricing) -> dict[str, int]:
    now = utcnow()
    rows = [
        NewSale(
            store_code=store_code,
            sale_id=sale.sale_id,
            isrc=sale.isrc,
            territory=sale.territory,
            sold_at=sale.sold_at,
            period=period_of(sale.sold_at),
            quantity=sale.quantity,
            unit_price=sale.unit_price,
            currency=sale.currency,
            iswc=pricing.snap.iswc_of(sale.isrc),
            held=applied.held,
            basis=applied.basis_json,
            recorded_at=now,
        )
        # In sale_id order: concurrent batches take the unique index's entries in the
        # same order (see the module's docstring).
        for _, sale, applied in sorted(sales, key=lambda s: s[1].sale_id)
    ]
    return insert_sales(session, rows)


def _book(session: Session, locked: LedgerHead, batch: Batch, staged: _Staged) -> None:
    """Under the chain lock: the takedown check, the append, in booking months, and the
    recorded rows' outcomes."""
    _withdraw(session, batch, staged)
    sequences = append(session=session, postings=staged.postings, locked=locked)
    # A store's receipt: the transparency log's leaf of the sale (docs/transparency.md).
    leaves = {i: sequence - 1 for i, sequence in zip(staged.posted, sequences, strict=True)}
    # The months the ledger booked them in (under the same lock, so the same answer).
    booked = booking_periods(
        session=session, periods={period_of(sale.sold_at) for _, sale, _, _ in staged.inserted}
    )
    for i, sale, _, applied in staged.inserted:
        booking = booked[period_of(sale.sold_at)]
        batch.results[i] = _recorded(sale, applied, booking, leaves.get(i), minimal=staged.minimal)


def _withdraw(session: Session, batch: Batch, staged: _Staged) -> None:
    """Reject every priced row a takedown covers (before ``unlicensed``), deleting the
    ones step 3 inserted, and drop their transactions."""
    snap = staged.pricing.snap
    priced = staged.pricing.sales
    withdrawn = withdrawn_sales(
        session=session,
        sales=[
            SaleAsset(s.isrc, snap.iswc_of(s.isrc), s.territory, s.sold_at) for _, s, _ in priced
        ],
    )
    if not withdrawn:
        return
    rows = {priced[j][0]: takedown for j, takedown in withdrawn.items()}
    for i, takedown in rows.items():
        sale = batch.rows[i].sale
        assert sale is not None
        batch.duplicates.pop(i, None)  # as before step 3 ran: the takedown decides
        batch.results[i] = rejected(
            sale.sale_id,
            "withdrawn",
            f"{sale.isrc} is taken down in {sale.territory} on that date.",
            takedown_id=takedown,
        )
    delete_sales(session, [pk for i, _, pk, _ in staged.inserted if i in rows])
    staged.inserted = [entry for entry in staged.inserted if entry[0] not in rows]
    kept = [n for n, i in enumerate(staged.posted) if i not in rows]
    staged.postings = [staged.postings[n] for n in kept]
    staged.posted = [staged.posted[n] for n in kept]

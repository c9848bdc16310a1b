"""Refund batches: many refunds in one transaction, a fixed number of statements.

Order of a batch (``POST /v1/refunds``; ``POST /v1/sales/{sale_id}/refunds`` is a batch
of one):

1. rows that do not validate are ``invalid``; a refund_id repeated inside the batch takes
   the first row's outcome (``conflict`` if its content differs);
2. before the chain's lock, one query reads the store's sales the rows name (unknown, or
   another store's: ``not_found``) and one the refunds already recorded with those
   refund_ids (``duplicate``, answered with the first result, or ``conflict``); a refund
   dated in the future or before its sale is ``invalid``;
3. under the chain's lock (taken only when something is left to record): the refund_ids
   recorded since step 2 (normally none) and, in one grouped query, the units already
   refunded per sale, so that concurrent batches never refund more units than were sold
   (``refund_exceeds_sale``); the refunds are inserted with one
   ``INSERT .. ON CONFLICT DO NOTHING RETURNING`` and their reversals, computed from each
   sale's stored basis and differenced cumulatively in row order (exactly as if posted
   one after another), are appended to the ledger together.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from service.ledger.kinds import TransactionKind
from service.ledger.models import LedgerHead
from service.ledger.periods import Booking, booking_periods
from service.ledger.service import Posting, append, lock_chain
from service.sales.intake.ingest import RefundRow
from service.sales.models import Refund, Sale
from service.sales.postings import SaleDims, legs_for, refund_entries, royalties
from service.sales.pricing import basis as bases
from service.sales.repository import refunded_units, refunds_by_id, sales_by_id
from service.sales.results import (
    BatchOutcome,
    RecordedRefund,
    RefundOutcome,
    Rejection,
    Royalty,
    Status,
)
from service.sales.schemas import RefundIn
from service.sql import insert_ignoring_duplicates, table_of
from service.timeutil import period_of, utcnow

REFUNDS = table_of(Refund)


def reference(store_code: str, refund_id: str) -> str:
    return f"refund:{store_code}/{refund_id}"


@dataclass(slots=True)
class Outcome:
    """One row's outcome: the refund (recorded or replayed) or why it was rejected."""

    status: Status
    refund: RecordedRefund | None = None  # a duplicate's stays None when not read back
    error: Rejection | None = None


def rejected(code: str, detail: str, **extra: Any) -> Outcome:
    return Outcome("rejected", error=Rejection(code, detail, **extra))


@dataclass(slots=True)
class _Fresh:
    """A row that may be recorded: its position, its sale and the refund."""

    index: int
    sale: Sale
    refund: RefundIn


@dataclass(slots=True)
class _Batch:
    store_code: str
    rows: Sequence[RefundRow]
    outcomes: list[Outcome | None]
    first: dict[str, int] = field(default_factory=dict)  # refund_id -> its first row
    repeats: list[tuple[int, int]] = field(default_factory=list)  # (row, first row)
    replays: dict[int, tuple[Sale, Refund]] = field(default_factory=dict)  # duplicates

    @classmethod
    def of(cls, store_code: str, rows: Sequence[RefundRow]) -> "_Batch":
        batch = cls(store_code, rows, [None] * len(rows))
        for i, row in enumerate(rows):
            if row.refund is None:
                detail = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in row.errors
                )
                batch.outcomes[i] = rejected("invalid", detail, errors=row.errors)
            elif row.refund.refund_id in batch.first:
                batch.repeats.append((i, batch.first[row.refund.refund_id]))
            else:
                batch.first[row.refund.refund_id] = i
        return batch

    def replay(self, index: int, sale: Sale, recorded: Refund) -> None:
        """A refund_id already recorded: a duplicate if unchanged, else a conflict."""
        refund = self.rows[index].refund
        assert refund is not None
        changed = _changed(
            (recorded.sale_pk, recorded.quantity, recorded.refunded_at),
            (sale.id, refund.quantity, refund.refunded_at),
        )
        if changed:
            self.outcomes[index] = rejected(
                "conflict",
                f"refund_id {refund.refund_id} was already recorded with a different "
                f"{', '.join(changed)}.",
            )
        else:
            self.replays[index] = (sale, recorded)
            self.outcomes[index] = Outcome("duplicate")

    def finish(self) -> list[Outcome]:
        """Repeats take their first row's outcome (conflict if their content differs)."""
        for i, j in self.repeats:
            now, then = self.rows[i], self.rows[j]
            assert now.refund is not None and then.refund is not None
            first = self.outcomes[j]
            assert first is not None
            changed = _changed(
                (then.sale_id, then.refund.quantity, then.refund.refunded_at),
                (now.sale_id, now.refund.quantity, now.refund.refunded_at),
            )
            if changed:
                self.outcomes[i] = rejected(
                    "conflict",
                    f"refund_id {now.refund.refund_id} was sent earlier in this batch with "
                    f"a different {', '.join(changed)}.",
                )
            else:
                self.outcomes[i] = (
                    first if first.status == "rejected" else Outcome("duplicate", first.refund)
                )
        outcomes = [o for o in self.outcomes if o is not None]
        assert len(outcomes) == len(self.rows)
        return outcomes


def _changed(recorded: tuple[Any, Any, Any], sent: tuple[Any, Any, Any]) -> list[str]:
    names = ("sale_id", "quantity", "refunded_at")
    return [name for name, a, b in zip(names, recorded, sent, strict=True) if a != b]


def refund_batch(
    *, session: Session, store_code: str, rows: Sequence[RefundRow], minimal: bool = False
) -> BatchOutcome[RefundOutcome]:
    """Every row's outcome, in order. ``minimal``: duplicates are not read back from the
    ledger (``Prefer: return=minimal`` answers counts and rejections only)."""
    outcomes = refund_rows(session=session, store_code=store_code, rows=rows, minimal=minimal)
    return BatchOutcome(
        [
            RefundOutcome(row.refund_id, row.sale_id, o.status, o.refund, o.error)
            for row, o in zip(rows, outcomes, strict=True)
        ]
    )


def refund_rows(
    *, session: Session, store_code: str, rows: Sequence[RefundRow], minimal: bool = False
) -> list[Outcome]:
    """Each row's outcome (see the module's docstring for the order of the checks)."""
    batch = _Batch.of(store_code, rows)
    firsts = list(batch.first.values())
    sales = sales_by_id(session, store_code, (rows[i].sale_id or "" for i in firsts))
    recorded = refunds_by_id(session, store_code, batch.first)
    now = utcnow()
    fresh: list[_Fresh] = []
    for i in firsts:
        refund, sale = rows[i].refund, sales.get(rows[i].sale_id or "")
        assert refund is not None
        if sale is None:
            batch.outcomes[i] = rejected(
                "not_found", f"No sale {rows[i].sale_id} of store {store_code}."
            )
        elif refund.refund_id in recorded:
            batch.replay(i, sale, recorded[refund.refund_id])
        elif (invalid := _invalid(refund, sale, now)) is not None:
            batch.outcomes[i] = invalid
        else:
            fresh.append(_Fresh(i, sale, refund))
    if fresh:
        _record(session, batch, fresh)
    if not minimal:
        _read_back(session, batch)
    return batch.finish()


def _invalid(refund: RefundIn, sale: Sale, now: datetime) -> Outcome | None:
    if refund.refunded_at > now:
        return rejected(
            "invalid",
            "refunded_at is in the future.",
            errors=[{"loc": ["refunded_at"], "msg": "is in the future"}],
        )
    if refund.refunded_at < sale.sold_at:
        return rejected(
            "invalid",
            "A sale cannot be refunded before it was sold.",
            errors=[{"loc": ["refunded_at"], "msg": "is before the sale's sold_at"}],
        )
    return None


def _record(session: Session, batch: _Batch, fresh: list[_Fresh]) -> None:
    """Under the chain's lock: the units check, the insert and one append."""
    locked = lock_chain(session)
    # Recorded since the read before the lock (a concurrent request, e.g. a retry).
    raced = refunds_by_id(session, batch.store_code, (f.refund.refund_id for f in fresh))
    for f in fresh:
        if f.refund.refund_id in raced:
            batch.replay(f.index, f.sale, raced[f.refund.refund_id])
    fresh = [f for f in fresh if f.refund.refund_id not in raced]
    refunded = refunded_units(session, (f.sale.id for f in fresh if f.sale.id is not None))
    accepted = _within_sold(batch, fresh, refunded)
    now = utcnow()
    inserted = insert_ignoring_duplicates(
        session,
        REFUNDS,
        [
            {
                "store_code": batch.store_code,
                "refund_id": f.refund.refund_id,
                "sale_pk": f.sale.id,
                "quantity": f.refund.quantity,
                "refunded_at": f.refund.refunded_at,
                "recorded_at": now,
            }
            for f in accepted
        ],
        ("store_code", "refund_id"),
        "refund_id",
    )
    # Every refund writer holds the lock, so the constraint refuses nothing here; if it
    # ever did, the refused rows are replayed and the reversals skip them.
    refused = [f for f in accepted if f.refund.refund_id not in inserted]
    if refused:
        again = refunds_by_id(session, batch.store_code, (f.refund.refund_id for f in refused))
        for f in refused:
            batch.replay(f.index, f.sale, again[f.refund.refund_id])
    recorded = [f for f in accepted if f.refund.refund_id in inserted]
    _post(session, locked, batch, recorded, refunded, now)


def _within_sold(batch: _Batch, fresh: list[_Fresh], refunded: dict[int, int]) -> list[_Fresh]:
    """The rows that leave no sale refunded beyond its units, in row order."""
    units = dict(refunded)
    accepted = []
    for f in fresh:
        assert f.sale.id is not None
        already = units.get(f.sale.id, 0)
        if already + f.refund.quantity > f.sale.quantity:
            batch.outcomes[f.index] = rejected(
                "refund_exceeds_sale",
                f"{f.sale.quantity} units sold, {already} already refunded: "
                f"{f.refund.quantity} more cannot be refunded.",
                errors=[{"loc": ["quantity"], "msg": "exceeds the units left to refund"}],
                sold=f.sale.quantity,
                refunded=already,
            )
        else:
            units[f.sale.id] = already + f.refund.quantity
            accepted.append(f)
    return accepted


def _post(
    session: Session,
    locked: LedgerHead,
    batch: _Batch,
    recorded: list[_Fresh],
    refunded: dict[int, int],
    now: datetime,
) -> None:
    """Each recorded refund's reversal, differenced cumulatively per sale in row order
    from the units refunded before it (before the batch, then by its earlier rows)."""
    units = dict(refunded)
    basis: dict[int, bases.Basis] = {}
    postings: list[Posting] = []
    reversed_: list[tuple[_Fresh, list[Royalty], bool]] = []
    for f in recorded:
        sale, refund = f.sale, f.refund
        assert sale.id is not None
        if sale.id not in basis:
            basis[sale.id] = bases.load(sale.basis)
        deltas = bases.refund_deltas(
            basis[sale.id],
            sold=sale.quantity,
            refunded=units.get(sale.id, 0),
            refunding=refund.quantity,
            territory=sale.territory,
        )
        units[sale.id] = units.get(sale.id, 0) + refund.quantity
        legs = legs_for(dims(sale), deltas, store_units=-refund.quantity)
        if legs:
            ref = reference(batch.store_code, refund.refund_id)
            postings.append(
                Posting(TransactionKind.refund, ref, period_of(refund.refunded_at), legs)
            )
        reversed_.append((f, royalties(legs), bool(legs)))
    append(session=session, postings=postings, locked=locked)
    # The months the ledger booked them in (under the same lock, so the same answer).
    booked = booking_periods(session=session, periods={p.period for p in postings})
    for f, royalty_list, moved in reversed_:
        where = booked[period_of(f.refund.refunded_at)] if moved else None
        public = recorded_refund(f.sale, f.refund, royalty_list, where, now)
        batch.outcomes[f.index] = Outcome("recorded", public)


def _read_back(session: Session, batch: _Batch) -> None:
    """Duplicates answered with their first result, read from the ledger (one query)."""
    if not batch.replays:
        return
    entries = refund_entries(session, (sale.id for sale, _ in batch.replays.values() if sale.id))
    for i, (sale, refund) in batch.replays.items():
        entry = entries.get(reference(batch.store_code, refund.refund_id))
        if entry is None:  # it moved no money: nothing was booked
            public = recorded_refund(sale, refund, [], None, refund.recorded_at)
        else:
            booked = Booking(entry.period, entry.adjustment)
            public = recorded_refund(sale, refund, entry.royalties, booked, refund.recorded_at)
        batch.outcomes[i] = Outcome("duplicate", public)


def dims(sale: Sale) -> SaleDims:
    assert sale.id is not None
    return SaleDims(
        sale.id,
        sale.store_code,
        sale.isrc,
        sale.iswc,
        sale.territory,
        sale.currency,
        sale.unit_price,
    )


def recorded_refund(
    sale: Sale,
    refund: RefundIn | Refund,
    royalty_list: list[Royalty],
    booking: Booking | None,
    recorded_at: datetime,
) -> RecordedRefund:
    return RecordedRefund(
        refund_id=refund.refund_id,
        sale_id=sale.sale_id,
        quantity=refund.quantity,
        refunded_at=refund.refunded_at.astimezone(UTC),
        recorded_at=recorded_at,
        royalties=royalty_list,
        booking=booking,
    )

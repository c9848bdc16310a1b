"""The sales domain's entry points: what the router, the DSR intake and every other caller
use to book sales and refunds, read a store's sales and manage suspense.

Plain functions with keyword-only arguments over a session, answering the domain's own
results (``service.sales.results``: the router maps them to response bodies). The stages
behind them live in ``intake/`` (reading and sorting rows), ``pricing/`` (the snapshot,
plans and the pure engine), ``recording.py`` (a batch of sales, one transaction),
``refunds/`` and ``suspense.py``. Nothing here imports the web framework.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from service.ledger.kinds import TransactionKind
from service.pagination import PageParams
from service.sales import recording, repository, suspense
from service.sales.intake.ingest import RefundRow, Row
from service.sales.models import Sale
from service.sales.postings import sale_entries
from service.sales.refunds.batch import refund_batch
from service.sales.refunds.single import refund_sale, refunds_of
from service.sales.results import (
    BatchOutcome,
    Entry,
    Held,
    RecordedRefund,
    RefundOutcome,
    ReleaseCount,
    SaleOutcome,
)
from service.sales.schemas import RefundIn


def record_sales(
    *, session: Session, store_code: str, rows: Sequence[Row], minimal: bool = False
) -> BatchOutcome[SaleOutcome]:
    """Book a batch of sales in one transaction: every row's outcome, in order."""
    return recording.record_sales(
        session=session, store_code=store_code, rows=rows, minimal=minimal
    )


def record_sale(*, session: Session, store_code: str, row: Row) -> SaleOutcome:
    """Book one bare sale; its rejection is raised as a domain error (nothing written)."""
    return recording.record_one(session=session, store_code=store_code, row=row)


def record_refunds(
    *, session: Session, store_code: str, rows: Sequence[RefundRow], minimal: bool = False
) -> BatchOutcome[RefundOutcome]:
    """Book a batch of refunds in one transaction: every row's outcome, in order."""
    return refund_batch(session=session, store_code=store_code, rows=rows, minimal=minimal)


def refund(
    *, session: Session, store_code: str, sale_id: str, data: RefundIn
) -> tuple[RecordedRefund, bool]:
    """Refund units of one sale: (the refund, whether it was recorded now)."""
    return refund_sale(session=session, store_code=store_code, sale_id=sale_id, data=data)


def list_sales(
    *,
    session: Session,
    page: PageParams,
    store_code: str | None,
    isrc: str | None = None,
    territory: str | None = None,
    period: str | None = None,
) -> tuple[list[tuple[Sale, int]], str | None]:
    """A page of sales (one store's, or every store's), each with its units refunded."""
    rows, cursor = repository.list_sales(
        session=session,
        page=page,
        store_code=store_code,
        isrc=isrc,
        territory=territory,
        period=period,
    )
    refunded = repository.refunded_units(session, (s.id for s in rows if s.id is not None))
    return [(s, refunded.get(s.id or 0, 0)) for s in rows], cursor


@dataclass(frozen=True, slots=True)
class SaleHistory:
    """A sale and everything the ledger moved for it."""

    sale: Sale
    booked: Entry | None  # the sale's own transaction
    refunds: list[RecordedRefund]
    releases: list[Entry]  # suspense released to the parties it was held for

    @property
    def refunded(self) -> int:
        return sum(r.quantity for r in self.refunds)


def sale_history(*, session: Session, sale: Sale) -> SaleHistory:
    """The sale's booking, refunds and suspense releases, in ledger order."""
    assert sale.id is not None
    entries = sale_entries(session, sale.id)
    return SaleHistory(
        sale=sale,
        booked=next((e for e in entries if e.kind == TransactionKind.sale), None),
        refunds=refunds_of(session, sale),
        releases=[e for e in entries if e.kind == TransactionKind.release],
    )


def list_suspense(
    *,
    session: Session,
    page: PageParams,
    reason: str | None = None,
    territory: str | None = None,
    isrc: str | None = None,
    right_type: str | None = None,
) -> tuple[list[Held], str | None]:
    """Money held in suspense, grouped by why, where and what."""
    return suspense.list_suspense(
        session=session,
        page=page,
        reason=reason,
        territory=territory,
        isrc=isrc,
        right_type=right_type,
    )


def release_suspense(*, session: Session) -> ReleaseCount:
    """Re-price every held sale and book what can now be allocated."""
    return suspense.release(session=session)

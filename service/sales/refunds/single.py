"""Refunds: give back units of a sale and reverse exactly their royalties.

The reversal uses the sale's stored basis (its unit royalty, FX rate, shares and routes),
never today's catalog, and the engine's cumulative differencing: refunding every unit,
in any number of refunds, negates the sale exactly for every beneficiary.

A single refund (``POST /v1/sales/{sale_id}/refunds``) is a batch of one row
(``service.sales.refunds.batch``): the same checks, in the same order, under the same lock.
"""

from sqlmodel import Session, col, select

from service.errors import DomainError
from service.ledger.kinds import TransactionKind
from service.ledger.periods import Booking
from service.sales.exceptions import (
    RefundConflict,
    RefundExceedsSale,
    RefundInvalid,
    SaleNotFound,
)
from service.sales.intake.ingest import RefundRow
from service.sales.models import Refund, Sale
from service.sales.postings import sale_entries
from service.sales.refunds.batch import recorded_refund, reference, refund_rows
from service.sales.results import RecordedRefund
from service.sales.schemas import RefundIn

# A rejected row's code -> the problem the single endpoint answers (same code).
REFUND_PROBLEMS: dict[str, type[DomainError]] = {
    "invalid": RefundInvalid,
    "not_found": SaleNotFound,
    "conflict": RefundConflict,
    "refund_exceeds_sale": RefundExceedsSale,
}


def refund_sale(
    *, session: Session, store_code: str, sale_id: str, data: RefundIn
) -> tuple[RecordedRefund, bool]:
    """(the refund, whether it was recorded now); a replay returns the first result.

    A rejection is raised as its problem, nothing written."""
    row = RefundRow(sale_id, data.refund_id, data)
    outcome = refund_rows(session=session, store_code=store_code, rows=[row])[0]
    if outcome.error is not None:
        error = outcome.error
        errors = [{**e, "loc": ["body", *e["loc"]]} for e in error.errors or []]
        extra = {
            name: value
            for name, value in (("sold", error.sold), ("refunded", error.refunded))
            if value is not None
        }
        raise REFUND_PROBLEMS[error.code](error.detail, errors=errors, **extra)
    assert outcome.refund is not None
    return outcome.refund, outcome.status == "recorded"


def _refunds(session: Session, sale: Sale) -> list[Refund]:
    return list(
        session.exec(select(Refund).where(Refund.sale_pk == sale.id).order_by(col(Refund.id)))
    )


def refunds_of(session: Session, sale: Sale) -> list[RecordedRefund]:
    """Every refund of a sale, in the order recorded, with the royalties it reversed."""
    assert sale.id is not None
    by_reference = {
        e.reference: e for e in sale_entries(session, sale.id) if e.kind == TransactionKind.refund
    }
    found = []
    for r in _refunds(session, sale):
        entry = by_reference.get(reference(sale.store_code, r.refund_id))
        if entry is None:  # it moved no money: nothing was booked
            found.append(recorded_refund(sale, r, [], None, r.recorded_at))
        else:
            booked = Booking(entry.period, entry.adjustment)
            found.append(recorded_refund(sale, r, entry.royalties, booked, r.recorded_at))
    return found

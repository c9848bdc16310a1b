"""Refunds: give back units of a sale and reverse exactly their royalties.

The reversal uses the sale's stored basis (its unit royalty, FX rate, shares and routes),
never today's catalog, and the engine's cumulative differencing: refunding every unit,
in any number of refunds, negates the sale exactly for every beneficiary.
"""

from sqlmodel import Session, col, select

from service.ledger.periods import booking_periods
from service.ledger.service import Posting, append, lock_chain
from service.sales import basis as bases
from service.sales.exceptions import RefundConflict, RefundExceedsSale, RefundInvalid
from service.sales.models import Refund, Sale
from service.sales.postings import REFUND, SaleDims, legs_for, royalties, sale_entries
from service.sales.repository import get_sale, refunded_units
from service.sales.schemas import RefundIn, RefundPublic, RoyaltyPublic
from service.sql import insert_ignoring_duplicates, table_of
from service.timeutil import period_of, utcnow

REFUNDS = table_of(Refund)


def reference(store_code: str, refund_id: str) -> str:
    return f"refund:{store_code}/{refund_id}"


def refund_sale(
    *, session: Session, store_code: str, sale_id: str, data: RefundIn
) -> tuple[RefundPublic, bool]:
    """(the refund, whether it was recorded now); a replay returns the first result."""
    locked = lock_chain(session)
    sale = get_sale(session=session, store_code=store_code, sale_id=sale_id)
    assert sale.id is not None
    existing = _existing(session, store_code, data.refund_id)
    if existing is not None:
        return _replay(session, sale, existing, data), False

    already = _check_refundable(session, sale, data)
    row = {
        "store_code": store_code,
        "refund_id": data.refund_id,
        "sale_pk": sale.id,
        "quantity": data.quantity,
        "refunded_at": data.refunded_at,
        "recorded_at": utcnow(),
    }
    inserted = insert_ignoring_duplicates(
        session, REFUNDS, [row], ("store_code", "refund_id"), "refund_id"
    )
    if data.refund_id not in inserted:  # recorded meanwhile: the constraint decided
        raced = _existing(session, store_code, data.refund_id)
        assert raced is not None
        return _replay(session, sale, raced, data), False

    deltas = bases.refund_deltas(
        bases.load(sale.basis),
        sold=sale.quantity,
        refunded=already,
        refunding=data.quantity,
        territory=sale.territory,
    )
    legs = legs_for(_dims(sale), deltas, store_units=-data.quantity)
    booked: tuple[str, bool] | None = None
    if legs:
        month = period_of(data.refunded_at)
        posting = Posting(REFUND, reference(store_code, data.refund_id), month, legs)
        booked = booking_periods(session=session, periods=[month])[month]  # what append does
        append(session=session, postings=[posting], locked=locked)
    refund = _existing(session, store_code, data.refund_id)
    assert refund is not None
    return _public(sale, refund, royalties(legs), booked), True


def _check_refundable(session: Session, sale: Sale, data: RefundIn) -> int:
    """The units already refunded, if ``data`` may be refunded; else the problem raised."""
    assert sale.id is not None
    if data.refunded_at > utcnow():
        raise RefundInvalid(
            "refunded_at is in the future.",
            errors=[{"loc": ["body", "refunded_at"], "msg": "is in the future"}],
        )
    if data.refunded_at < sale.sold_at:
        raise RefundInvalid(
            "A sale cannot be refunded before it was sold.",
            errors=[{"loc": ["body", "refunded_at"], "msg": "is before the sale's sold_at"}],
        )
    already = refunded_units(session, [sale.id]).get(sale.id, 0)
    if already + data.quantity > sale.quantity:
        raise RefundExceedsSale(
            f"{sale.quantity} units sold, {already} already refunded: "
            f"{data.quantity} more cannot be refunded.",
            errors=[{"loc": ["body", "quantity"], "msg": "exceeds the units left to refund"}],
            sold=sale.quantity,
            refunded=already,
        )
    return already


def _dims(sale: Sale) -> SaleDims:
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


def _existing(session: Session, store_code: str, refund_id: str) -> Refund | None:
    return session.exec(
        select(Refund).where(Refund.store_code == store_code, Refund.refund_id == refund_id)
    ).first()


def _replay(session: Session, sale: Sale, refund: Refund, data: RefundIn) -> RefundPublic:
    changed = [
        name
        for name, same in (
            ("sale_id", refund.sale_pk == sale.id),
            ("quantity", refund.quantity == data.quantity),
            ("refunded_at", refund.refunded_at == data.refunded_at),
        )
        if not same
    ]
    if changed:
        raise RefundConflict(
            f"refund_id {data.refund_id} was already recorded with a different "
            f"{', '.join(changed)}."
        )
    by_id = {r.refund_id: r for r in refunds_of(session, sale)}
    return by_id[refund.refund_id]


def _refunds(session: Session, sale: Sale) -> list[Refund]:
    return list(
        session.exec(select(Refund).where(Refund.sale_pk == sale.id).order_by(col(Refund.id)))
    )


def _public(
    sale: Sale,
    refund: Refund,
    royalty_list: list[RoyaltyPublic],
    booked: tuple[str, bool] | None,
) -> RefundPublic:
    period, adjustment = booked if booked is not None else (None, None)
    return RefundPublic(
        booked_period=period,
        adjustment=adjustment,
        refund_id=refund.refund_id,
        sale_id=sale.sale_id,
        quantity=refund.quantity,
        refunded_at=refund.refunded_at,
        recorded_at=refund.recorded_at,
        royalties=royalty_list,
    )


def refunds_of(session: Session, sale: Sale) -> list[RefundPublic]:
    """Every refund of a sale, in the order recorded, with the royalties it reversed."""
    assert sale.id is not None
    by_reference = {e.reference: e for e in sale_entries(session, sale.id) if e.kind == REFUND}
    found = []
    for r in _refunds(session, sale):
        entry = by_reference.get(reference(sale.store_code, r.refund_id))
        if entry is None:  # it moved no money: nothing was booked
            found.append(_public(sale, r, [], None))
        else:
            found.append(_public(sale, r, entry.royalties, (entry.period, entry.adjustment)))
    return found

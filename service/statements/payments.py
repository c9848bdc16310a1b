"""Payments to parties: a ledger transaction (party debited, ``cash`` credited) each.

Idempotent on ``reference``: the same reference with the same content returns the first
payment; with different content it is a conflict. The chain lock is taken before the
reference is looked up, so two concurrent requests with one reference pay once (the
unique constraint on ``reference`` backs that up).
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from service.auth.caller import Caller
from service.identifiers import minor_units
from service.ledger import accounts
from service.ledger.accounts import AccountKind
from service.ledger.kinds import TransactionKind
from service.ledger.periods import booking_periods
from service.ledger.service import Leg, Posting, lock_chain, post
from service.pagination import PageParams, paginate
from service.parties.models import RightsHolder, Society
from service.statements.access import own_party
from service.statements.exceptions import PaymentConflict, PaymentInvalid, PaymentNotFound
from service.statements.models import Payment
from service.statements.schemas import PaymentCreate
from service.timeutil import period_of


def _invalid(field: str, message: str) -> PaymentInvalid:
    return PaymentInvalid(message, errors=[{"loc": ["body", field], "msg": message}])


def party_currency(session: Session, party: str) -> str | None:
    account = accounts.parse(party)
    if account is None:
        return None
    if account.kind is AccountKind.society:
        society = session.get(Society, account.name)
        return None if society is None else society.currency
    if account.kind is AccountKind.holder:
        holder = session.get(RightsHolder, account.name)
        return None if holder is None else holder.currency
    return None


def _validate(session: Session, data: PaymentCreate, now: datetime) -> None:
    currency = party_currency(session, data.party)
    if currency is None:
        raise _invalid("party", f"No society or rights holder {data.party}.")
    if data.currency != currency:
        raise _invalid("currency", f"{data.party} is paid in {currency}, not {data.currency}.")
    digits = minor_units(currency)
    if data.amount != data.amount.quantize(type(data.amount)(1).scaleb(-digits)):
        raise _invalid("amount", f"{currency} amounts have at most {digits} decimal places.")
    if data.paid_at > now:
        raise _invalid("paid_at", "A payment cannot be dated in the future.")


def _same(payment: Payment, data: PaymentCreate) -> bool:
    return (
        payment.party == data.party
        and payment.amount == data.amount
        and payment.currency == data.currency
        and payment.paid_at == data.paid_at
    )


def create_payment(*, session: Session, data: PaymentCreate, now: datetime) -> tuple[Payment, bool]:
    """Record a payment; returns (payment, created). A replay returns the first one."""
    _validate(session, data, now)
    lock_chain(session)
    existing = session.exec(select(Payment).where(Payment.reference == data.reference)).first()
    if existing is not None:
        if not _same(existing, data):
            raise PaymentConflict(
                f"Reference {data.reference} was already used for another payment.",
                payment_id=existing.id,
            )
        return existing, False
    booked, adjustment = booking_periods(session=session, periods=[period_of(data.paid_at)])[
        period_of(data.paid_at)
    ]
    legs = [
        Leg(data.party, data.currency, -data.amount),
        Leg(accounts.CASH, data.currency, data.amount),
    ]
    payment_id = uuid.uuid4().hex
    [sequence] = post(
        session=session,
        postings=[
            Posting(
                kind=TransactionKind.payment,
                reference=f"payment:{data.reference}",
                period=booked,
                legs=legs,
                adjustment=adjustment,
            )
        ],
    )
    payment = Payment(
        id=payment_id,
        reference=data.reference,
        party=data.party,
        amount=data.amount,
        currency=data.currency,
        paid_at=data.paid_at,
        period=booked,
        adjustment=adjustment,
        ledger_sequence=sequence,
    )
    session.add(payment)
    session.flush()
    return payment, True


def get_payment(*, session: Session, caller: Caller, payment_id: str) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or not (caller.is_admin or payment.party == own_party(caller)):
        raise PaymentNotFound(f"No payment {payment_id}.")
    return payment


def list_payments(
    *, session: Session, caller: Caller, page: PageParams, party: str | None
) -> tuple[Sequence[Payment], str | None]:
    query = select(Payment)
    if not caller.is_admin:
        mine = own_party(caller)
        if party is not None and party != mine:
            return [], None
        party = mine
    if party is not None:
        query = query.where(Payment.party == party)
    return paginate(session, query, key=Payment.id, params=page)

"""Ledger postings of sales, refunds and releases, and the royalties read back from them.

Each is one balanced transaction in the sale's currency: every beneficiary's change is a
leg (``society:``/``holder:``/``suspense:`` account) carrying the royalty's dimensions,
and the store's leg (``store:<code>``) balances them. A result's ``royalties`` are always
built from those legs, so a replay reads back exactly what the first answer said.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from service.ledger import accounts
from service.ledger import repository as ledger_repository
from service.ledger.kinds import TransactionKind
from service.ledger.periods import Booking
from service.ledger.service import Leg
from service.rights import RightType
from service.sales.pricing.basis import RIGHT_ORDER, Delta, sort_key
from service.sales.pricing.engine.engine import MISSING_FX_RATE
from service.sales.results import Entry, Royalty

_STORE_PREFIX = accounts.prefix(accounts.AccountKind.store)


@dataclass(frozen=True, slots=True)
class SaleDims:
    """The dimensions every leg of one sale carries."""

    sale_pk: int
    store_code: str
    isrc: str
    iswc: str | None
    territory: str
    currency: str
    unit_price: Decimal


def legs_for(dims: SaleDims, deltas: Sequence[Delta], *, store_units: int | None) -> list[Leg]:
    """The beneficiaries' legs plus the store's balancing leg (empty if nothing moves)."""
    legs: list[Leg] = []
    for d in deltas:
        right_type, society, holder, non_member, suspense = d.key
        legs.append(
            Leg(
                account=accounts.beneficiary(
                    society_code=society, holder_id=holder, reason=suspense
                ),
                currency=dims.currency,
                amount=d.amount,
                sale_pk=dims.sale_pk,
                right_type=right_type,
                isrc=dims.isrc,
                iswc=dims.iswc,
                territory=dims.territory,
                holder_id=holder,
                society_code=society,
                non_member=non_member,
                suspense_reason=suspense,
                share=d.share,
                units=d.units,
                gross=d.units * dims.unit_price,
            )
        )
    total = sum((leg.amount for leg in legs), Decimal(0))
    if not legs and not total:
        return []
    legs.append(
        Leg(
            account=accounts.store(dims.store_code),
            currency=dims.currency,
            amount=-total,
            sale_pk=dims.sale_pk,
            isrc=dims.isrc,
            iswc=dims.iswc,
            territory=dims.territory,
            units=store_units,
            gross=None if store_units is None else store_units * dims.unit_price,
        )
    )
    return legs


def royalties(legs: Iterable[Leg]) -> list[Royalty]:
    """A result's ``royalties``: the non-store legs, in the canonical order."""
    return _public(
        {
            "account": leg.account,
            "right_type": leg.right_type,
            "society_code": leg.society_code,
            "holder_id": leg.holder_id,
            "non_member": leg.non_member,
            "suspense_reason": leg.suspense_reason,
            "amount": leg.amount,
            "currency": leg.currency,
        }
        for leg in legs
    )


def _public(rows: Iterable[dict[str, Any]]) -> list[Royalty]:
    entries = [
        Royalty(
            right_type=RightType(row["right_type"]),
            society_code=row["society_code"],
            holder_id=row["holder_id"],
            non_member=row["non_member"],
            suspense=row["suspense_reason"],
            amount=row["amount"],
            currency=row["currency"],
        )
        for row in rows
        if not row["account"].startswith(_STORE_PREFIX)
        and row["right_type"] in RIGHT_ORDER
        # Legs that only move units (a zero share of a refund) are not royalties; a price
        # still waiting for its FX rate is shown, at zero.
        and (row["amount"] or row["suspense_reason"] == MISSING_FX_RATE)
    ]
    return sorted(
        entries,
        key=lambda e: sort_key(
            (e.right_type.value, e.society_code, e.holder_id, e.non_member, e.suspense)
        ),
    )


# --- reading royalties back from the ledger ------------------------------------------------


def sale_royalties(
    session: Session, sale_pks: Iterable[int]
) -> dict[int, tuple[list[Royalty], int | None]]:
    """Each sale's first result: the legs of its ``sale`` transaction, and that
    transaction's leaf in the transparency log (sequence - 1). One query per 5,000."""
    pks = sorted(set(sale_pks))
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in ledger_repository.sale_legs(session, pks, kind=TransactionKind.sale):
        rows[row["sale_pk"]].append(row)
    return {
        pk: (_public(rows.get(pk, [])), rows[pk][0]["sequence"] - 1 if rows.get(pk) else None)
        for pk in pks
    }


def sale_bookings(session: Session, sale_pks: Iterable[int]) -> dict[int, Booking]:
    """Where each sale's ``sale`` transaction was booked."""
    return {
        row["sale_pk"]: Booking(row["period"], bool(row["adjustment"]))
        for row in ledger_repository.sale_legs(
            session, sorted(set(sale_pks)), kind=TransactionKind.sale
        )
    }


def sale_entries(session: Session, sale_pk: int) -> list[Entry]:
    """Every transaction that moved money of one sale (sale, refunds, releases), in order."""
    by_tx: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in ledger_repository.sale_legs(session, [sale_pk]):
        by_tx[row["sequence"]].append(row)
    return [_entry(sequence, by_tx[sequence]) for sequence in sorted(by_tx)]


def refund_entries(session: Session, sale_pks: Iterable[int]) -> dict[str, Entry]:
    """Every refund transaction of these sales, by its reference (one query per 5,000)."""
    by_tx: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in ledger_repository.sale_legs(session, sale_pks, kind=TransactionKind.refund):
        by_tx[row["sequence"]].append(row)
    return {rows[0]["reference"]: _entry(sequence, rows) for sequence, rows in by_tx.items()}


def _entry(sequence: int, rows: list[dict[str, Any]]) -> Entry:
    """One transaction's entry from its legs (each row carries the transaction's fields)."""
    first = rows[0]
    return Entry(
        sequence=sequence,
        kind=first["kind"],
        reference=first["reference"],
        period=first["period"],
        adjustment=first["adjustment"],
        created_at=first["created_at"],
        royalties=_public(rows),
    )

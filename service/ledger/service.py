"""The only writer of money: balanced transactions appended to a SHA-256 hash chain.

Writers take one short lock on the chain's head per batch (not per sale), hash the batch's
transactions in order in Python and insert them with multi-row statements.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.ledger.bulk import insert_rows
from service.ledger.exceptions import Unbalanced
from service.ledger.models import GENESIS_HASH, LedgerHead, LedgerLeg, LedgerTransaction
from service.money import MICRO, normalize
from service.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting. Positive amounts are owed TO the account's party."""

    account: str
    currency: str
    amount: Decimal
    sale_pk: int | None = None
    right_type: str | None = None
    isrc: str | None = None
    iswc: str | None = None
    territory: str | None = None
    holder_id: str | None = None
    society_code: str | None = None
    non_member: bool = False
    suspense_reason: str | None = None
    share: Decimal | None = None
    units: int | None = None
    gross: Decimal | None = None


_LEG_FIELDS = tuple(f.name for f in fields(Leg))


@dataclass(slots=True)
class Posting:
    kind: str
    reference: str
    period: str
    legs: list[Leg]
    adjustment: bool = False
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class Head:
    sequence: int
    hash: str


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    transactions: int
    head: Head
    first_bad_sequence: int | None


LEGS: sa.Table = LedgerLeg.__table__  # type: ignore[attr-defined]
TRANSACTIONS: sa.Table = LedgerTransaction.__table__  # type: ignore[attr-defined]


def _canonical_leg(leg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in leg.items():
        if key in ("id", "sequence", "period"):
            continue
        if isinstance(value, Decimal):
            value = (
                str(value.quantize(MICRO)) if key in ("amount", "gross") else str(normalize(value))
            )
        out[key] = value
    return out


def transaction_hash(
    *,
    prev_hash: str,
    sequence: int,
    kind: str,
    reference: str,
    period: str,
    adjustment: bool,
    created_at: datetime,
    legs: Sequence[dict[str, Any]],
) -> str:
    """SHA-256 over the previous hash and a canonical JSON encoding of the transaction."""
    encoded_legs = sorted(
        json.dumps(_canonical_leg(leg), sort_keys=True, separators=(",", ":")) for leg in legs
    )
    content = json.dumps(
        {
            "sequence": sequence,
            "kind": kind,
            "reference": reference,
            "period": period,
            "adjustment": adjustment,
            "created_at": created_at.isoformat(timespec="microseconds"),
            "legs": encoded_legs,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def check_balanced(legs: Sequence[Leg]) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        totals[leg.currency] += leg.amount
    off = {cur: total for cur, total in totals.items() if total != 0}
    if off:
        raise Unbalanced(f"Legs do not sum to zero: {off}")


def lock_chain(session: Session) -> LedgerHead:
    """Take the chain's lock for the rest of the transaction (idempotent within it).

    Writers that must decide something consistently with the chain (which month a sale
    is booked in, what a month close sees) take it first, then post.
    """
    # FOR UPDATE serialises appenders on PostgreSQL; SQLite's BEGIN IMMEDIATE already does.
    # populate_existing: a head read earlier in this transaction must not mask the row the
    # lock now returns (another writer may have appended meanwhile).
    head = session.exec(
        select(LedgerHead)
        .where(LedgerHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if head is None:
        head = LedgerHead(id=1, sequence=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def post(*, session: Session, postings: Sequence[Posting]) -> list[int]:
    """Append balanced postings atomically; returns their sequence numbers in order."""
    if not postings:
        return []
    for posting in postings:
        check_balanced(posting.legs)
    head = lock_chain(session)
    sequence, prev_hash = head.sequence, head.hash
    tx_rows: list[dict[str, Any]] = []
    leg_rows: list[dict[str, Any]] = []
    for posting in postings:
        sequence += 1
        # A shallow dict per leg (dataclasses.asdict deep-copies every value: slow at 10^5).
        legs = [
            {
                **{name: getattr(leg, name) for name in _LEG_FIELDS},
                "sequence": sequence,
                "period": posting.period,
            }
            for leg in posting.legs
        ]
        digest = transaction_hash(
            prev_hash=prev_hash,
            sequence=sequence,
            kind=posting.kind,
            reference=posting.reference,
            period=posting.period,
            adjustment=posting.adjustment,
            created_at=posting.created_at,
            legs=legs,
        )
        tx_rows.append(
            {
                "sequence": sequence,
                "kind": posting.kind,
                "reference": posting.reference,
                "period": posting.period,
                "adjustment": posting.adjustment,
                "created_at": posting.created_at,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        leg_rows.extend(legs)
        prev_hash = digest
    # One statement per table, whatever the batch size (not the ORM's bulk insert, which
    # splits legs into a statement per run of rows with the same non-null columns).
    insert_rows(session, TRANSACTIONS, tx_rows)
    insert_rows(session, LEGS, leg_rows)
    head.sequence, head.hash = sequence, prev_hash
    session.add(head)
    session.flush()
    return [row["sequence"] for row in tx_rows]


def head(*, session: Session) -> Head:
    row = session.get(LedgerHead, 1)
    return Head(0, GENESIS_HASH) if row is None else Head(row.sequence, row.hash)


_LEG_COLUMNS = [c for c in LEGS.columns if c.key != "id"]


def _chain(
    session: Session, chunk: int
) -> Iterator[tuple[LedgerTransaction, list[dict[str, Any]]]]:
    after = 0
    while True:
        txs = session.exec(
            select(LedgerTransaction)
            .where(LedgerTransaction.sequence > after)
            .order_by(col(LedgerTransaction.sequence))
            .limit(chunk)
        ).all()
        if not txs:
            return
        legs: dict[int, list[dict[str, Any]]] = defaultdict(list)
        rows = session.execute(
            sa.select(*_LEG_COLUMNS).where(
                LEGS.c.sequence.between(txs[0].sequence, txs[-1].sequence)
            )
        )
        for row in rows.mappings():
            legs[row["sequence"]].append(dict(row))
        for tx in txs:
            yield tx, legs[tx.sequence]
        after = txs[-1].sequence


def verify(*, session: Session, chunk: int = 5000) -> Verification:
    """Recompute the chain from genesis; the first transaction that does not match is bad."""
    prev_hash, count, expected_sequence = GENESIS_HASH, 0, 1
    for tx, legs in _chain(session, chunk):
        recomputed = transaction_hash(
            prev_hash=prev_hash,
            sequence=tx.sequence,
            kind=tx.kind,
            reference=tx.reference,
            period=tx.period,
            adjustment=tx.adjustment,
            created_at=tx.created_at,
            legs=legs,
        )
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for leg in legs:
            totals[leg["currency"]] += leg["amount"]
        intact = (
            tx.sequence == expected_sequence
            and tx.prev_hash == prev_hash
            and tx.hash == recomputed
            and all(v == 0 for v in totals.values())
            and all(leg["period"] == tx.period for leg in legs)
        )
        if not intact:
            return Verification(False, count, head(session=session), tx.sequence)
        prev_hash, count, expected_sequence = tx.hash, count + 1, expected_sequence + 1
    current = head(session=session)
    ok = current.sequence == count and current.hash == prev_hash
    return Verification(ok, count, current, None if ok else count + 1)


def balances(*, session: Session, account: str) -> dict[str, Decimal]:
    """Exact balance per currency of one account, every month included."""
    rows = session.execute(
        sa.select(LEGS.c.currency, sa.func.sum(LEGS.c.amount))
        .where(LEGS.c.account == account)
        .group_by(LEGS.c.currency)
        .order_by(LEGS.c.currency)
    )
    # SUM keeps the column's Money type, so totals arrive already converted from micros.
    return {currency: Decimal(total).quantize(MICRO) for currency, total in rows}

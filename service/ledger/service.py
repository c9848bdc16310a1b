"""The only writer of money: balanced transactions appended to a SHA-256 hash chain.

Writers take one short lock on the chain's head per batch (not per sale), hash the batch's
transactions in order in Python and append them with one COPY per table (PostgreSQL) or
one executemany (SQLite). The encoding hashed is in ``service.ledger.encoding``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from service.ledger import clock, repository, verification
from service.ledger import log as transparency_log
from service.ledger.encoding import digest, transaction_hash
from service.ledger.models import GENESIS_HASH, LedgerHead
from service.ledger.periods import booking_periods
from service.ledger.postings import (
    LEG_FIELDS,
    Leg,
    Posting,
    PreparedPosting,
    check_balanced,
    copy_text,
    prepare,
)
from service.ledger.repository import LEGS, TRANSACTIONS

__all__ = [
    "LEGS",
    "LEG_FIELDS",
    "TRANSACTIONS",
    "Head",
    "Leg",
    "Posting",
    "PreparedPosting",
    "Verification",
    "append",
    "balances",
    "check_balanced",
    "head",
    "lock_chain",
    "post",
    "transaction_hash",
    "verify",
]


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


def lock_chain(session: Session) -> LedgerHead:
    """Take the chain's lock for the rest of the transaction (idempotent within it).

    Writers that must decide something consistently with the chain (which month a sale
    is booked in, what a month close sees) take it first, then post; they pass the head
    it returns to ``append`` so a batch takes the lock once.
    """
    return repository.locked_head(session)


def post(*, session: Session, postings: Sequence[Posting]) -> list[int]:
    """Append balanced postings atomically, each in the period it names; returns their
    sequence numbers in order."""
    return _append(session, lock_chain(session), [prepare(p) for p in postings])


def append(
    *,
    session: Session,
    postings: Sequence[Posting | PreparedPosting],
    locked: LedgerHead | None = None,
) -> list[int]:
    """Book each posting in its month (a closed month's entry goes to the oldest open
    month, as an adjustment: ``service.ledger.periods``) and append them atomically;
    their sequence numbers in order.

    ``locked``: the head ``lock_chain`` returned, if the caller holds the lock already
    (the decision and the append then share that one lock).
    """
    if not postings:
        return []
    head_row = locked if locked is not None else lock_chain(session)
    prepared = [p if isinstance(p, PreparedPosting) else prepare(p) for p in postings]
    booked = booking_periods(session=session, periods={p.period for p in prepared})
    for posting in prepared:
        posting.period, posting.adjustment = booked[posting.period]
    return _append(session, head_row, prepared)


def _append(
    session: Session, head_row: LedgerHead, postings: Sequence[PreparedPosting]
) -> list[int]:
    if not postings:
        return []
    sequence, prev_hash = head_row.sequence, head_row.hash
    clock.clamp_to_chain(session, sequence, postings)
    first = sequence + 1
    tx_rows: list[tuple[Any, ...]] = []
    leg_rows: list[tuple[Any, ...]] = []
    leg_text: list[str] = []
    tx_text: list[str] = []
    as_text = all(p.copy is not None for p in postings)
    salts = transparency_log.new_salts(postings)
    for p, leg_salts in zip(postings, salts, strict=True):
        sequence += 1
        content = (p.kind, p.reference, p.period, p.adjustment, p.created_at)
        # A copy: the encoding sorts the lines it is given, and each line must stay paired
        # with its leg's row and salt for the transparency log.
        hashed = digest(prev_hash, sequence, *content, list(p.lines))
        tx_rows.append((sequence, *content, prev_hash, hashed))
        if as_text:
            tx_text.append(
                f"{sequence}\t{copy_text(p.kind)}\t{copy_text(p.reference)}\t{p.period}\t"
                f"{'t' if p.adjustment else 'f'}\t{p.created_at.astimezone(UTC).isoformat()}\t"
                f"{prev_hash}\t{hashed}\n"
            )
            assert p.copy is not None
            prefix = f"{sequence}\t{p.period}\t"
            leg_text.extend(
                f"{prefix}{row}\t\\\\x{salt.hex()}\n"
                for row, salt in zip(p.copy, leg_salts, strict=True)
            )
        else:
            leg_rows.extend(
                (sequence, p.period, *v, s) for v, s in zip(p.values, leg_salts, strict=True)
            )
        prev_hash = hashed
    if as_text:
        repository.append_text(session, "".join(tx_text), "".join(leg_text))
    else:
        repository.append_rows(session, tx_rows, leg_rows)
    # The transparency log's leaves, in the same transaction and under the same lock.
    transparency_log.append_postings(session, first, postings, salts)
    head_row.sequence, head_row.hash = sequence, prev_hash
    session.add(head_row)
    session.flush()
    return list(range(first, sequence + 1))


def head(*, session: Session) -> Head:
    row = session.get(LedgerHead, 1)
    return Head(0, GENESIS_HASH) if row is None else Head(row.sequence, row.hash)


def verify(*, session: Session, chunk: int = 5000) -> Verification:
    """Recompute the chain from genesis and compare it with every pinned head
    (``service.ledger.verification``); the first transaction that does not match is bad."""
    outcome = verification.verify(session, chunk)
    return Verification(
        outcome.ok, outcome.transactions, Head(*outcome.head), outcome.first_bad_sequence
    )


def balances(*, session: Session, account: str) -> dict[str, Decimal]:
    """Exact balance per currency of one account, every month included."""
    return repository.balances(session, account)


def hash_at(*, session: Session, sequence: int) -> str | None:
    """The hash the chain holds at ``sequence`` (None past its head)."""
    return repository.hash_at(session, sequence)

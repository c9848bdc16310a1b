"""Verifying the chain: recompute every hash, and compare the chain with every head that
something else pinned (a month's close, its statements, a payment).

A chain rewritten consistently (a balanced change with every later hash recomputed, or
the newest transactions deleted and the head rewound) is self-consistent: only a hash
kept elsewhere can tell. Domains that keep one register a *pin source* here
(``add_pin_source``; ``create_app`` wires them), so the ledger reads no other domain's
tables. Each transaction goes through ``TRANSACTION_CHECKS`` in order; a check is a
plain function, so more can be added (a transparency log's signed tree heads are pins).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from service.ledger import repository
from service.ledger.encoding import transaction_hash
from service.ledger.models import GENESIS_HASH, LedgerHead, LedgerTransaction, PeriodClose


@dataclass(frozen=True, slots=True)
class Pin:
    """A head kept outside the chain: transaction ``sequence`` must exist, with ``hash``
    when one was kept (None: only that it exists)."""

    source: str
    sequence: int
    hash: str | None


PinSource = Callable[[Session], Iterable[Pin]]
_PIN_SOURCES: dict[str, PinSource] = {}


def add_pin_source(name: str, source: PinSource) -> None:
    """Have ``verify`` compare the chain with the pins ``source`` reads (idempotent)."""
    _PIN_SOURCES[name] = source


@dataclass(frozen=True, slots=True)
class Step:
    """One transaction as the walk reaches it, with what the chain up to it implies."""

    tx: LedgerTransaction
    legs: list[dict[str, Any]]
    expected_sequence: int
    prev_hash: str
    pins: Sequence[Pin]


def _in_sequence(step: Step) -> int | None:
    # A gap names the missing sequence (transaction 30 deleted: 30, not 31).
    return None if step.tx.sequence == step.expected_sequence else step.expected_sequence


def _linked(step: Step) -> int | None:
    return None if step.tx.prev_hash == step.prev_hash else step.tx.sequence


def _hash_matches(step: Step) -> int | None:
    tx = step.tx
    recomputed = transaction_hash(
        prev_hash=step.prev_hash,
        sequence=tx.sequence,
        kind=tx.kind,
        reference=tx.reference,
        period=tx.period,
        adjustment=tx.adjustment,
        created_at=tx.created_at,
        legs=step.legs,
    )
    return None if tx.hash == recomputed else tx.sequence


def _balanced(step: Step) -> int | None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in step.legs:
        totals[leg["currency"]] += leg["amount"]
    booked = all(leg["period"] == step.tx.period for leg in step.legs)
    return None if booked and all(v == 0 for v in totals.values()) else step.tx.sequence


def _as_pinned(step: Step) -> int | None:
    # A rewrite before a pinned head changes the hash at the pin: the pin's transaction is
    # the first one proven different (the change itself lies at or before it).
    bad = any(pin.hash is not None and pin.hash != step.tx.hash for pin in step.pins)
    return step.tx.sequence if bad else None


Check = Callable[[Step], int | None]
TRANSACTION_CHECKS: list[Check] = [_in_sequence, _linked, _hash_matches, _balanced, _as_pinned]


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    transactions: int  # intact transactions before the first bad one
    head: tuple[int, str]
    first_bad_sequence: int | None


def _close_pins(session: Session) -> Iterator[Pin]:
    """The head each month's close was computed at: the ledger's own pins."""
    closes = select(col(PeriodClose.ledger_sequence), col(PeriodClose.ledger_hash))
    for sequence, hash_ in session.exec(closes):
        yield Pin("period_close", sequence, hash_)


def _pins(session: Session) -> dict[int, list[Pin]]:
    pins: dict[int, list[Pin]] = defaultdict(list)
    for source in (_close_pins, *_PIN_SOURCES.values()):
        for pin in source(session):
            pins[pin.sequence].append(pin)
    return pins


def verify(session: Session, chunk: int) -> Outcome:
    """Walk the chain from genesis; the first sequence a check fails is bad."""
    row = session.get(LedgerHead, 1)
    head = (0, GENESIS_HASH) if row is None else (row.sequence, row.hash)
    pins = _pins(session)
    prev_hash, count = GENESIS_HASH, 0
    for tx, legs in repository.chain(session, chunk):
        step = Step(tx, legs, count + 1, prev_hash, pins.get(tx.sequence, ()))
        for check in TRANSACTION_CHECKS:
            bad = check(step)
            if bad is not None:
                return Outcome(False, count, head, bad)
        prev_hash, count = tx.hash, count + 1
    beyond = [sequence for sequence in pins if sequence > count]
    orphan = _orphan_legs(session, count)
    if orphan is not None:
        return Outcome(False, count, head, orphan)
    if head == (count, prev_hash) and not beyond:
        return Outcome(True, count, head, None)
    return Outcome(False, count, head, _first_unaccounted(head, count, prev_hash))


def _orphan_legs(session: Session, count: int) -> int | None:
    """A leg naming a transaction outside the chain (1 … ``count``), if any: the walk
    reads legs by their transactions, so such a leg would go unseen (there is no foreign
    key: migration 0012). The sequence it names is reported."""
    low, high = repository.leg_sequences(session)
    if low is not None and low < 1:
        return low
    if high is not None and high > count:
        return high
    return None


def _first_unaccounted(head: tuple[int, str], count: int, last_hash: str) -> int:
    """The chain's transactions are intact but disagree with the head or a later pin."""
    if head[0] < count:
        return head[0] + 1  # the head lags: the first transaction past it
    if head[0] == count and head[1] != last_hash:
        return max(count, 1)  # the head names another last transaction
    return count + 1  # the chain ends early: the first missing transaction

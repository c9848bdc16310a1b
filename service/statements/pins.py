"""The ledger heads statements pinned, for ``GET /v1/ledger/verify`` to compare against.

Each statement keeps the head (sequence and hash) it was computed at (the ledger pins
its own closes); a payment keeps the sequence of its transaction. A rewrite of history before
any of them shows as a pin the chain no longer matches.
"""

from collections.abc import Iterator

import sqlalchemy as sa
from sqlmodel import Session, col

from service.ledger.verification import Pin, add_pin_source
from service.statements.models import Payment, Statement


def statement_pins(session: Session) -> Iterator[Pin]:
    heads = sa.select(col(Statement.ledger_sequence), col(Statement.ledger_hash)).distinct()
    for sequence, hash_ in session.execute(heads):
        yield Pin("statement", sequence, hash_)
    for (sequence,) in session.execute(sa.select(col(Payment.ledger_sequence))):
        yield Pin("payment", sequence, None)


def register() -> None:
    """Wire the pins into verification (``create_app`` calls this)."""
    add_pin_source("statements", lambda session: (p for p in statement_pins(session) if p.sequence))

"""A statement's evidence: the ledger transactions behind it, as its owner may see them.

For every transaction with a leg on the statement's party in the statement's month (up to
the tree size the close signed): its leaf index, header, the party's own legs with their
salts, and only the commitments of everybody else's legs. That is enough to recompute
each leaf hash (``verifier.leaf_data``) and to re-add the lines, and reveals no other
party's amount: a commitment is a salted SHA-256 and the salt never leaves the server.

A royalty leg in another currency than the statement's also carries ``rate_day`` (its
sale's UTC day) and ``rate``, the rate the close converted it at (``close/fx.py``: the
latest on or before that day), so that every converted line can be re-derived. Rates are
market data, not anybody's money; they are not part of the leaf (the leg's line is).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger import log
from service.ledger.encoding import LEG_HASHED
from service.ledger.kinds import NOT_ROYALTY
from service.ledger.repository import LEGS, TRANSACTIONS
from service.proofs.verifier import timestamp_text
from service.sales.repository import sale_day
from service.statements.models import Statement
from service.statements.periods import last_day
from service.statements.repository import SALES
from service.tariffs.service import load_fx
from service.transparency.schemas import sth_public
from service.transparency.service import of_period

_CHUNK = 1000


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _transaction(
    tx: Any, legs: list[dict[str, Any]], party: str, rates: Mapping[int, dict[str, str]]
) -> dict[str, Any]:
    own = [
        {
            **{name: _json_value(leg[name]) for name in LEG_HASHED},
            "salt": bytes(leg["salt"] or b"").hex(),
            **rates.get(leg["id"], {}),
        }
        for leg in legs
        if leg["account"] == party
    ]
    others = sorted(log.leg_commitment(leg).hex() for leg in legs if leg["account"] != party)
    return {
        "type": "transaction",
        "leaf_index": tx.sequence - 1,
        "header": {
            "sequence": tx.sequence,
            "kind": tx.kind,
            "reference": tx.reference,
            "period": tx.period,
            "adjustment": tx.adjustment,
            "created_at": timestamp_text(tx.created_at),
        },
        "legs": own,
        "commitments": others,
    }


def _converted(
    tx_kinds: Mapping[int, str], legs: Iterable[dict[str, Any]], currency: str
) -> list[dict[str, Any]]:
    """The party's royalty legs the close converted into ``currency``."""
    return [
        leg
        for leg in legs
        if leg["currency"] != currency
        and leg["right_type"] is not None
        and tx_kinds[leg["sequence"]] not in NOT_ROYALTY
    ]


def _rates(
    session: Session, statement: Statement, converted: list[dict[str, Any]]
) -> dict[int, dict[str, str]]:
    """Leg id -> ``rate_day`` and ``rate``, by the close's rule (``close/fx.py``): the
    sale's UTC day (the month's last day for a leg without a sale) and the latest rate on or
    before it, direct or inverse, among the rates recorded by the close (a rate added later
    for an earlier day must not change what a closed statement's evidence says)."""
    if not converted:
        return {}
    pks = {leg["sale_pk"] for leg in converted if leg["sale_pk"] is not None}
    days: dict[int, date] = {
        pk: date.fromisoformat(str(day)[:10])
        for pk, day in session.execute(
            sa.select(SALES.c.id, sale_day(session)).where(SALES.c.id.in_(pks))
        )
    }
    month_end = last_day(statement.period)
    currencies = {leg["currency"] for leg in converted} | {statement.currency}
    table = load_fx(
        session=session, currencies=currencies, until=month_end, known_at=statement.closed_at
    )
    found: dict[int, dict[str, str]] = {}
    for leg in converted:
        day = days.get(leg["sale_pk"], month_end)
        rate = table.rate(leg["currency"], statement.currency, day)
        if rate is not None:  # none: the close refused the month, or the leg never moved
            found[leg["id"]] = {"rate_day": day.isoformat(), "rate": str(rate)}
    return found


def records(session: Session, statement: Statement, *, after: int) -> Iterator[dict[str, Any]]:
    """The statement's header record (when ``after`` < 0), then one record per transaction
    with leaf index > ``after``, in leaf order, read ``_CHUNK`` transactions a query."""
    sth = of_period(session=session, period=statement.period)
    size = sth.tree_size if sth is not None else statement.ledger_sequence
    if after < 0:
        yield {
            "type": "statement",
            "statement_id": statement.id,
            "party": statement.party,
            "period": statement.period,
            "currency": statement.currency,
            "sth": None if sth is None else sth_public(sth).model_dump(),
        }
    mine = (
        sa.select(LEGS.c.sequence)
        .where(
            LEGS.c.account == statement.party,
            LEGS.c.period == statement.period,
            LEGS.c.sequence <= size,
        )
        .distinct()
    )
    cursor = after + 1  # a leaf index is its sequence - 1
    while True:
        sequences = [
            row[0]
            for row in session.execute(
                mine.where(LEGS.c.sequence > cursor).order_by(LEGS.c.sequence).limit(_CHUNK)
            )
        ]
        if not sequences:
            return
        legs: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in session.execute(
            sa.select(LEGS).where(LEGS.c.sequence.in_(sequences))
        ).mappings():
            legs[row["sequence"]].append(dict(row))
        txs = session.execute(
            sa.select(TRANSACTIONS)
            .where(TRANSACTIONS.c.sequence.in_(sequences))
            .order_by(TRANSACTIONS.c.sequence)
        ).all()
        kinds = {tx.sequence: tx.kind for tx in txs}
        own = (leg for group in legs.values() for leg in group if leg["account"] == statement.party)
        rates = _rates(session, statement, _converted(kinds, own, statement.currency))
        for tx in txs:
            yield _transaction(tx, legs[tx.sequence], statement.party, rates)
        cursor = sequences[-1]

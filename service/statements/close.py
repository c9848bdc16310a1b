"""Closing a month: convert, freeze, and issue every statement in a few set-based steps.

Order matters: the chain lock is taken first (sales posting takes the same lock, so no
entry can land in the month while it closes, and two closes run one after the other);
then the month's royalties are summed per line and converted into each party's currency
(``fx``); then statement headers and lines are written (``lines``: ``INSERT … SELECT …
GROUP BY``); last, the month's row is inserted (its primary key is the last
word on "closed once"). Representations are not rendered here: each one's ETag, and a DSR
file's usage rows, are computed the first time it is requested (``service.etag_of``).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.config import get_settings
from service.ledger.periods import latest_closed
from service.ledger.service import lock_chain
from service.money import Money
from service.parties.models import RightsHolder, Society
from service.statements.amounts import exact_product, round_minor
from service.statements.exceptions import EarlierPeriodOpen, PeriodNotEnded
from service.statements.fx import (
    convert_period,
    create_temporary_tables,
    drop_temporary_tables,
)
from service.statements.ledgerq import (
    HOLDER_PREFIX,
    LEGS,
    PAYMENT,
    SOCIETY_PREFIX,
    TXS,
    parties,
)
from service.statements.lines import (
    CLOSE_LINES,
    STATEMENTS,
    fill_lines,
    insert_lines,
    map_statements,
)
from service.statements.models import PeriodClose, Statement
from service.statements.periods import month_end

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CloseOutcome:
    period: str
    created: bool  # False: the month was already closed (a repeat returns the same result)


def close_period(*, session: Session, period: str, now: datetime) -> CloseOutcome:
    """Close ``period`` once; repeating it is a no-op that reports the first close."""
    lock_chain(session)
    last = latest_closed(session)
    if session.get(PeriodClose, period) is not None or (last is not None and period <= last):
        return CloseOutcome(period, created=False)
    if now < month_end(period):
        raise PeriodNotEnded(
            f"{period} has not ended yet (it ends {month_end(period).isoformat()}).",
            period=period,
        )
    earlier = session.execute(
        sa.select(sa.func.min(TXS.c.period)).where(
            TXS.c.period < period, TXS.c.period > (last or "")
        )
    ).scalar_one_or_none()
    if earlier is not None:
        raise EarlierPeriodOpen(
            f"{earlier} has entries and is still open; close it before {period}.",
            period=earlier,
        )
    if session.get_bind().dialect.name == "postgresql":
        # The month's aggregates sort and hash millions of legs: let them do it in memory
        # (for this transaction only).
        session.execute(sa.text("SET LOCAL work_mem = '256MB'"))
    create_temporary_tables(session)
    fx_transactions = convert_period(session=session, period=period)
    head = lock_chain(session)  # the head after the conversions: what statements pin
    count = _issue_statements(session, period, now, (head.sequence, head.hash))
    drop_temporary_tables(session)
    # The primary key on period is the last word on "closed once".
    session.add(
        PeriodClose(
            period=period,
            closed_at=now,
            ledger_sequence=head.sequence,
            ledger_hash=head.hash,
            statement_count=count,
            fx_transactions=fx_transactions,
        )
    )
    session.flush()
    return CloseOutcome(period, created=True)


def _party_terms(session: Session, accounts: set[str]) -> dict[str, dict[str, Any]]:
    codes = [a.removeprefix(SOCIETY_PREFIX) for a in accounts if a.startswith(SOCIETY_PREFIX)]
    holders = [a.removeprefix(HOLDER_PREFIX) for a in accounts if a.startswith(HOLDER_PREFIX)]
    terms: dict[str, dict[str, Any]] = {}
    for society in session.exec(select(Society).where(col(Society.code).in_(codes))):
        terms[SOCIETY_PREFIX + society.code] = {
            "party_type": "society",
            "party_name": society.name,
            "currency": society.currency,
            "commission_rate": society.commission_rate,
            "payout_threshold": society.payout_threshold,
        }
    for holder in session.exec(select(RightsHolder).where(col(RightsHolder.id).in_(holders))):
        terms[HOLDER_PREFIX + holder.id] = {
            "party_type": "holder",
            "party_name": holder.name,
            "currency": holder.currency,
            "commission_rate": _ZERO,
            "payout_threshold": None,
        }
    return terms


def _previous(session: Session, period: str) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(party, currency) -> (closing balance, exact balance) of its latest earlier statement."""
    latest = (
        sa.select(STATEMENTS.c.party, sa.func.max(STATEMENTS.c.period).label("period"))
        .where(STATEMENTS.c.period < period)
        .group_by(STATEMENTS.c.party)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            STATEMENTS.c.party,
            STATEMENTS.c.currency,
            STATEMENTS.c.closing_balance,
            STATEMENTS.c.balance_exact,
        ).join(
            latest,
            sa.and_(STATEMENTS.c.party == latest.c.party, STATEMENTS.c.period == latest.c.period),
        )
    )
    return {(r.party, r.currency): (r.closing_balance, r.balance_exact) for r in rows}


def _issue_statements(
    session: Session, period: str, closed_at: datetime, head: tuple[int, str]
) -> int:
    """Write every statement of the month with its lines and usage rows; returns how many."""
    fill_lines(session)
    money = Money()
    royalties = {
        r.account: (int(r.lines), r.royalty)
        for r in session.execute(
            sa.select(
                CLOSE_LINES.c.account,
                sa.func.count().label("lines"),
                sa.type_coerce(sa.func.sum(CLOSE_LINES.c.royalty), money).label("royalty"),
            ).group_by(CLOSE_LINES.c.account)
        )
    }
    party = parties()
    payments = {
        r.account: r.amount
        for r in session.execute(
            sa.select(LEGS.c.account, sa.func.sum(LEGS.c.amount).label("amount"))
            .join(TXS, TXS.c.sequence == LEGS.c.sequence)
            .join(party, party.c.account == LEGS.c.account)
            .where(TXS.c.period == period, TXS.c.kind == PAYMENT)
            .group_by(LEGS.c.account)
        )
    }
    terms = _party_terms(session, set(royalties) | set(payments))
    previous = _previous(session, period)
    settings = get_settings()
    rows = []
    for account in sorted(terms):
        t = terms[account]
        currency = t["currency"]
        line_count, royalty_exact = royalties.get(account, (0, _ZERO))
        paid_legs = payments.get(account, _ZERO)  # negative: a payment reduces what is owed
        opening, balance_before = previous.get((account, currency), (_ZERO, _ZERO))
        royalty = round_minor(royalty_exact, currency)
        commission = round_minor(exact_product(t["commission_rate"], royalty_exact), currency)
        paid = round_minor(-paid_legs, currency)
        closing = opening + royalty - paid
        threshold = t["payout_threshold"]
        rows.append(
            {
                **t,
                "id": uuid.uuid4().hex,
                "period": period,
                "party": account,
                "royalty_exact": royalty_exact,
                "royalty": royalty,
                "commission": commission,
                "net": royalty - commission,
                "opening_balance": opening,
                "payments": paid,
                "closing_balance": closing,
                "balance_exact": balance_before + royalty_exact + paid_legs,
                "payable": closing > 0 and (threshold is None or closing >= threshold),
                "line_count": line_count,
                "ledger_sequence": head[0],
                "ledger_hash": head[1],
                "closed_at": closed_at,
                # Frozen so the DSR file stays byte-identical if the settings change later.
                "dsr_sender_id": settings.dsr_sender_id,
                "dsr_sender_name": settings.dsr_sender_name,
            }
        )
    if rows:
        session.execute(sa.insert(Statement), rows)
        map_statements(session, {row["party"]: row["id"] for row in rows})
        insert_lines(session)
    return len(rows)

"""Closing a month: convert, freeze, and issue every statement in a few set-based steps.

Order matters: the chain lock is taken first (sales posting takes the same lock, so no
entry can land in the month while it closes, and two closes run one after the other);
then the month's royalties are summed per line and converted into each party's currency
(``fx``); then statement headers and lines are written (``lines``: ``INSERT … SELECT …
GROUP BY``); last, the month's row is inserted (its primary key is the last
word on "closed once"). Before that, every statement's DSR usage rows and the ETags of its
CSV and DSR files are written (``representations``), so that no GET ever writes.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.config import Settings
from service.ledger import accounts, periods
from service.ledger.accounts import AccountKind
from service.ledger.service import lock_chain
from service.parties.models import RightsHolder, Society
from service.sql import is_postgresql
from service.statements import repository
from service.statements.amounts import cumulative_balances, exact_product, round_minor
from service.statements.close.fx import (
    convert_period,
    create_temporary_tables,
    drop_temporary_tables,
)
from service.statements.close.lines import (
    fill_lines,
    insert_lines,
    line_totals,
    map_statements,
)
from service.statements.close.representations import prepare_representations
from service.statements.exceptions import EarlierPeriodOpen, PeriodNotEnded
from service.statements.models import Statement
from service.statements.periods import month_end
from service.statements.render.dsr_document import DSR_LAYOUT
from service.transparency import service as transparency
from service.transparency.signing import OperatorKey, settings_key

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CloseOutcome:
    period: str
    created: bool  # False: the month was already closed (a repeat returns the same result)


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who issues the month's statements: the DSR sender frozen into each statement, and
    the operator key that signs the close's tree head. Built by the caller from its
    settings (services never read settings themselves)."""

    dsr_sender_id: str
    dsr_sender_name: str
    key: OperatorKey


def issuer_of(settings: Settings) -> Issuer:
    return Issuer(settings.dsr_sender_id, settings.dsr_sender_name, settings_key(settings))


def close_period(*, session: Session, period: str, now: datetime, issuer: Issuer) -> CloseOutcome:
    """Close ``period`` once; repeating it is a no-op that reports the first close."""
    lock_chain(session)
    last = periods.latest_closed(session)
    if periods.closed_month(session, period) is not None or (last is not None and period <= last):
        return CloseOutcome(period, created=False)
    if now < month_end(period):
        raise PeriodNotEnded(
            f"{period} has not ended yet (it ends {month_end(period).isoformat()}).",
            period=period,
        )
    earlier = repository.earliest_period_with_entries(session, after=last, before=period)
    if earlier is not None:
        raise EarlierPeriodOpen(
            f"{earlier} has entries and is still open; close it before {period}.",
            period=earlier,
        )
    if is_postgresql(session):
        # The month's aggregates sort and hash millions of legs: let them do it in memory
        # (for this transaction only).
        session.execute(sa.text("SET LOCAL work_mem = '256MB'"))
    create_temporary_tables(session)
    fx_transactions = convert_period(session=session, period=period)
    head = lock_chain(session)  # the head after the conversions: what statements pin
    count = _issue_statements(session, period, now, (head.sequence, head.hash), issuer)
    # The signed tree head every statement of the month pins (docs/transparency.md).
    transparency.sign_close(
        session=session, key=issuer.key, period=period, size=head.sequence, now=now
    )
    drop_temporary_tables(session)
    prepare_representations(session, period)
    periods.record_close(
        session,
        period=period,
        closed_at=now,
        head=(head.sequence, head.hash),
        statement_count=count,
        fx_transactions=fx_transactions,
    )
    return CloseOutcome(period, created=True)


def _party_terms(session: Session, parties: set[str]) -> dict[str, dict[str, Any]]:
    parsed = [account for account in map(accounts.parse, parties) if account is not None]
    codes = [a.name for a in parsed if a.kind is AccountKind.society]
    holders = [a.name for a in parsed if a.kind is AccountKind.holder]
    terms: dict[str, dict[str, Any]] = {}
    for society in session.exec(select(Society).where(col(Society.code).in_(codes))):
        terms[accounts.society(society.code)] = {
            "party_type": "society",
            "party_name": society.name,
            "dsr_recipient_id": society.dpid,
            "dsr_recipient_name": society.dsr_name,
            "currency": society.currency,
            "commission_rate": society.commission_rate,
            "payout_threshold": society.payout_threshold,
        }
    for holder in session.exec(select(RightsHolder).where(col(RightsHolder.id).in_(holders))):
        terms[accounts.holder(holder.id)] = {
            "party_type": "holder",
            "party_name": holder.name,
            "dsr_recipient_id": holder.dpid,
            "dsr_recipient_name": holder.dsr_name,
            "currency": holder.currency,
            "commission_rate": _ZERO,
            "payout_threshold": None,
        }
    return terms


def _issue_statements(
    session: Session, period: str, closed_at: datetime, head: tuple[int, str], issuer: Issuer
) -> int:
    """Write every statement of the month with its lines and usage rows; returns how many."""
    fill_lines(session)
    royalties = line_totals(session)
    payments = repository.payments_by_party(session, period)
    terms = _party_terms(session, set(royalties) | set(payments))
    previous = repository.previous_balances(session, period)
    frozen = {
        "period": period,
        "ledger_sequence": head[0],
        "ledger_hash": head[1],
        "closed_at": closed_at,
        # Frozen so the DSR file stays byte-identical if the settings change later.
        "dsr_sender_id": issuer.dsr_sender_id,
        "dsr_sender_name": issuer.dsr_sender_name,
        "dsr_layout": DSR_LAYOUT,
    }
    rows = []
    for account in sorted(terms):
        currency = terms[account]["currency"]
        row = _statement_row(
            terms[account],
            royalties.get(account, (0, _ZERO)),
            paid_legs=payments.get(account, _ZERO),
            previous=previous.get((account, currency), (_ZERO, _ZERO)),
        )
        rows.append({**row, **frozen, "party": account})
    if rows:
        session.execute(sa.insert(Statement), rows)
        map_statements(session, {row["party"]: row["id"] for row in rows})
        insert_lines(session)
    return len(rows)


def _statement_row(
    terms: dict[str, Any],
    lines: tuple[int, Decimal],
    *,
    paid_legs: Decimal,  # negative: a payment reduces what is owed
    previous: tuple[Decimal, Decimal],  # (closing balance, exact balance) before the month
) -> dict[str, Any]:
    """A statement's amounts: exact royalty, then totals rounded to the minor unit."""
    currency = terms["currency"]
    line_count, royalty_exact = lines
    opening, balance_before = previous
    amounts = cumulative_balances(
        opening=opening,
        balance_before=balance_before,
        royalty_exact=royalty_exact,
        paid_legs=paid_legs,
        currency=currency,
    )
    royalty, closing = amounts.royalty, amounts.closing
    commission = round_minor(exact_product(terms["commission_rate"], royalty_exact), currency)
    threshold = terms["payout_threshold"]
    return {
        **terms,
        "id": uuid.uuid4().hex,
        "royalty_exact": royalty_exact,
        "royalty": royalty,
        "commission": commission,
        "net": royalty - commission,
        "opening_balance": opening,
        "payments": amounts.paid,
        "closing_balance": closing,
        "balance_exact": amounts.balance_exact,
        "payable": closing > 0 and (threshold is None or closing >= threshold),
        "line_count": line_count,
    }

"""SQL building blocks over the ledger's legs, shared by the close and the read side.

A month's legs are found through ``ledger_transaction.period`` (indexed; a leg's period
is always its transaction's) and joined by sequence, never by scanning every leg.

Statements are aggregates of legs: these helpers name the parties that get statements
(with their payout currency), the transaction kinds that carry royalties, and the signed
units and gross of a leg, so every query reads the ledger the same way.
"""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from service.ledger import accounts, periods
from service.ledger.accounts import AccountKind
from service.ledger.kinds import NOT_ROYALTY, TransactionKind
from service.ledger.models import LedgerLeg, LedgerTransaction
from service.parties.models import RightsHolder, Society
from service.sales.repository import sale_facts
from service.sql import is_postgresql, table_of
from service.statements.models import Statement, StatementEtag

LEGS = table_of(LedgerLeg)
TXS = table_of(LedgerTransaction)
STATEMENTS = table_of(Statement)
ETAGS = table_of(StatementEtag)
# What the close reads of a sale (its key, day, currency, month), as the sales domain
# exposes it for set-based joins.
SALES = sale_facts()


def _literal(text: str) -> ColumnElement[str]:
    return sa.literal(text, sa.String)


def parties() -> sa.Subquery:
    """Every party that can have a statement: (account, payout currency, party_type)."""
    society_columns: list[Any] = [
        (_literal(accounts.prefix(AccountKind.society)) + col(Society.code)).label("account"),
        col(Society.currency).label("currency"),
        _literal("society").label("party_type"),
    ]
    holder_columns: list[Any] = [
        (_literal(accounts.prefix(AccountKind.holder)) + col(RightsHolder.id)).label("account"),
        col(RightsHolder.currency).label("currency"),
        _literal("holder").label("party_type"),
    ]
    societies, holders = sa.select(*society_columns), sa.select(*holder_columns)
    return sa.union_all(societies, holders).subquery("party")


def signed_units() -> ColumnElement[Any]:
    # A refund leg's units are the units given back, whatever sign the writer used.
    units = sa.func.coalesce(LEGS.c.units, 0)
    return sa.case((TXS.c.kind == TransactionKind.refund, -sa.func.abs(units)), else_=units)


def signed_gross() -> ColumnElement[Any]:
    gross = sa.func.coalesce(LEGS.c.gross, 0)
    return sa.case((TXS.c.kind == TransactionKind.refund, -sa.func.abs(gross)), else_=gross)


def royalty_legs() -> sa.Select[Any]:
    """Legs carrying royalties, joined to their transaction: sales, refunds and releases
    (never payments, nor the close's currency conversions)."""
    return (
        sa.select()
        .select_from(LEGS.join(TXS, TXS.c.sequence == LEGS.c.sequence))
        .where(TXS.c.kind.not_in(NOT_ROYALTY), LEGS.c.right_type.is_not(None))
    )


# --- the close's reads ---------------------------------------------------------------


def earliest_period_with_entries(session: Session, *, after: str | None, before: str) -> str | None:
    """The first month strictly between ``after`` (None: the beginning) and ``before``
    that has ledger entries: a month that must close first."""
    return session.execute(
        sa.select(sa.func.min(TXS.c.period)).where(
            TXS.c.period < before, TXS.c.period > (after or "")
        )
    ).scalar_one_or_none()


def payments_by_party(session: Session, period: str) -> dict[str, Decimal]:
    """Statement party -> the sum of its payment legs booked in ``period`` (negative)."""
    party = parties()
    query = (
        sa.select(LEGS.c.account, sa.func.sum(LEGS.c.amount).label("amount"))
        .join(TXS, TXS.c.sequence == LEGS.c.sequence)
        .join(party, party.c.account == LEGS.c.account)
        .where(TXS.c.period == period, TXS.c.kind == TransactionKind.payment)
        .group_by(LEGS.c.account)
    )
    return {r.account: r.amount for r in session.execute(query)}


def previous_balances(
    session: Session, period: str
) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
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


# --- the read side -------------------------------------------------------------------


def ledger_totals_by_currency(session: Session, period: str) -> dict[str, dict[str, Decimal]]:
    """Per currency, what the month's entries recorded on store accounts, converted through
    ``fx:`` accounts and held in suspense (signed as the reconciliation reads them)."""
    money = LEGS.c.amount.type

    def total(kind: AccountKind) -> sa.ColumnElement[Decimal]:
        picked = sa.case((LEGS.c.account.startswith(accounts.prefix(kind)), LEGS.c.amount), else_=0)
        return sa.type_coerce(sa.func.coalesce(sa.func.sum(picked), 0), money)

    query = (
        sa.select(
            LEGS.c.currency,
            total(AccountKind.store),
            total(AccountKind.fx),
            total(AccountKind.suspense),
        )
        .join(TXS, TXS.c.sequence == LEGS.c.sequence)
        .where(TXS.c.period == period)
        .group_by(LEGS.c.currency)
    )
    return {
        r[0]: {"recorded": -r[1], "converted": -r[2], "in_suspense": r[3]}
        for r in session.execute(query)
    }


def statement_totals_by_currency(session: Session, period: str) -> dict[str, Decimal]:
    """Per currency, the exact royalty on the month's statements."""
    query = (
        sa.select(STATEMENTS.c.currency, sa.func.sum(STATEMENTS.c.royalty_exact))
        .where(STATEMENTS.c.period == period)
        .group_by(STATEMENTS.c.currency)
    )
    return {currency: amount for currency, amount in session.execute(query)}


def stored_etag(session: Session, statement_id: str, kind: str) -> str | None:
    stored = session.execute(
        sa.select(ETAGS.c.sha256).where(
            ETAGS.c.statement_id == statement_id, ETAGS.c.representation == kind
        )
    ).scalar_one_or_none()
    return None if stored is None else str(stored)


def store_etags(session: Session, rows: list[tuple[str, str, str]]) -> None:
    """Keep many digests at once: (statement id, representation, sha256) rows."""
    if not rows:
        return
    dialect = postgresql if is_postgresql(session) else sqlite
    session.execute(
        dialect.insert(ETAGS).on_conflict_do_nothing(),
        [{"statement_id": i, "representation": k, "sha256": h} for i, k, h in rows],
    )


def last_close(session: Session) -> str | None:
    """The newest closed month: the watermark of everything a close writes (replicas)."""
    return periods.latest_closed(session)

"""The ledger's queries: the chain's head under lock, appending rows, reading the chain."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.ledger import accounts
from service.ledger.encoding import LEG_HASHED
from service.ledger.models import (
    GENESIS_HASH,
    LedgerHead,
    LedgerLeg,
    LedgerTransaction,
    PeriodClose,
)
from service.money import MICRO
from service.sql import among, copy_rows, raw_connection, table_of

LEGS = table_of(LedgerLeg)
TRANSACTIONS = table_of(LedgerTransaction)
# The statements domain owns the closed-month table (and writes it); the ledger only reads
# the latest closed month, so it names the one column it needs instead of importing it.

TX_COLUMNS = (
    "sequence",
    "kind",
    "reference",
    "period",
    "adjustment",
    "created_at",
    "prev_hash",
    "hash",
)
LEG_COLUMNS = ("sequence", "period", *LEG_HASHED, "salt")
_READ_LEG_COLUMNS = [c for c in LEGS.columns if c.key != "id"]


def locked_head(session: Session) -> LedgerHead:
    """The chain's head row, locked for the rest of the transaction (created if absent)."""
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


def append_rows(
    session: Session, tx_rows: Sequence[tuple[Any, ...]], leg_rows: Sequence[tuple[Any, ...]]
) -> None:
    """Transactions (``TX_COLUMNS``) and legs (``LEG_COLUMNS``): one COPY per table on
    PostgreSQL (one executemany on SQLite), whatever the batch size."""
    copy_rows(session, TRANSACTIONS, TX_COLUMNS, tx_rows)
    copy_rows(session, LEGS, LEG_COLUMNS, leg_rows)


def append_text(session: Session, tx_text: str, leg_text: str) -> None:
    """``append_rows`` with the rows already in COPY text format (PostgreSQL only)."""
    with raw_connection(session).cursor() as cursor:
        for table, columns, text in (
            (TRANSACTIONS, TX_COLUMNS, tx_text),
            (LEGS, LEG_COLUMNS, leg_text),
        ):
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(text)


def chain(session: Session, chunk: int) -> Iterator[tuple[LedgerTransaction, list[dict[str, Any]]]]:
    """Every transaction with its legs, in sequence order, ``chunk`` transactions a query."""
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
            sa.select(*_READ_LEG_COLUMNS).where(
                LEGS.c.sequence.between(txs[0].sequence, txs[-1].sequence)
            )
        )
        for row in rows.mappings():
            legs[row["sequence"]].append(dict(row))
        for tx in txs:
            yield tx, legs[tx.sequence]
        after = txs[-1].sequence


def leg_sequences(session: Session) -> tuple[int | None, int | None]:
    """The lowest and highest transaction sequence any leg names (two index look-ups)."""
    low, high = session.execute(
        sa.select(sa.func.min(LEGS.c.sequence), sa.func.max(LEGS.c.sequence))
    ).one()
    return low, high


def balances(session: Session, account: str) -> dict[str, Decimal]:
    rows = session.execute(
        sa.select(LEGS.c.currency, sa.func.sum(LEGS.c.amount))
        .where(LEGS.c.account == account)
        .group_by(LEGS.c.currency)
        .order_by(LEGS.c.currency)
    )
    # SUM keeps the column's Money type, so totals arrive already converted from micros.
    return {currency: Decimal(total).quantize(MICRO) for currency, total in rows}


def latest_closed(session: Session) -> str | None:
    return session.execute(sa.select(sa.func.max(col(PeriodClose.period)))).scalar_one_or_none()


_SALE_LEG_COLUMNS = (
    LEGS.c.sale_pk,
    LEGS.c.account,
    LEGS.c.right_type,
    LEGS.c.society_code,
    LEGS.c.holder_id,
    LEGS.c.non_member,
    LEGS.c.suspense_reason,
    LEGS.c.amount,
    LEGS.c.currency,
    TRANSACTIONS.c.sequence,
    TRANSACTIONS.c.kind,
    TRANSACTIONS.c.reference,
    TRANSACTIONS.c.period,
    TRANSACTIONS.c.adjustment,
    TRANSACTIONS.c.created_at,
)
_SALE_CHUNK = 5000


def sale_legs(
    session: Session, sale_pks: Iterable[int], *, kind: str | None = None
) -> list[dict[str, Any]]:
    """The legs of these sales with their transaction's fields (only ``kind``
    transactions, if given), in no particular order; one query per 5,000 sales."""
    pks = sorted(set(sale_pks))
    joined = sa.select(*_SALE_LEG_COLUMNS).join(
        TRANSACTIONS, TRANSACTIONS.c.sequence == LEGS.c.sequence
    )
    if kind is not None:
        joined = joined.where(TRANSACTIONS.c.kind == kind)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(pks), _SALE_CHUNK):
        chunk = pks[start : start + _SALE_CHUNK]
        query = joined.where(among(session, LEGS.c.sale_pk, chunk))
        rows.extend(dict(row) for row in session.execute(query).mappings())
    return rows


_SUSPENSE = f"{accounts.prefix(accounts.AccountKind.suspense)}%"
_HELD_GROUP = (LEGS.c.suspense_reason, LEGS.c.territory, LEGS.c.isrc, LEGS.c.right_type)


def held_in_suspense(
    *, reason: str | None, territory: str | None, isrc: str | None, right_type: str | None
) -> sa.Subquery:
    """Per (reason, territory, ISRC, right type, currency): amount and units still held in
    ``suspense:`` accounts (filtered on the dimensions given)."""
    query = sa.select(
        *_HELD_GROUP,
        LEGS.c.currency,
        sa.func.sum(LEGS.c.amount).label("amount"),
        sa.func.sum(LEGS.c.units).label("units"),
    ).where(LEGS.c.account.like(_SUSPENSE))
    for column, value in zip(_HELD_GROUP, (reason, territory, isrc, right_type), strict=True):
        if value is not None:
            query = query.where(column == value)
    query = query.group_by(*_HELD_GROUP, LEGS.c.currency).having(
        sa.or_(sa.func.sum(LEGS.c.amount) != 0, sa.func.sum(LEGS.c.units) != 0)
    )
    return query.subquery()


def hash_at(session: Session, sequence: int) -> str | None:
    query = sa.select(TRANSACTIONS.c.hash).where(TRANSACTIONS.c.sequence == sequence)
    found = session.execute(query).scalar_one_or_none()
    return None if found is None else str(found)


_STORE = f"{accounts.prefix(accounts.AccountKind.store)}%"
ROYALTY_DIMENSIONS = (
    LEGS.c.account,
    LEGS.c.holder_id,
    LEGS.c.currency,
    LEGS.c.territory,
    LEGS.c.right_type,
)


def royalties_of_sales(session: Session, sale_pks: sa.Select[Any]) -> list[sa.Row[Any]]:
    """What the ledger holds for the sales ``sale_pks`` selects (their sale, refund and
    release legs; currency conversions carry no sale): per account, holder, currency,
    territory and right type, the exact sum (store legs have no right type)."""
    query = (
        sa.select(*ROYALTY_DIMENSIONS, sa.func.sum(LEGS.c.amount).label("amount"))
        .where(LEGS.c.sale_pk.in_(sale_pks))
        .group_by(*ROYALTY_DIMENSIONS)
    )
    return list(session.execute(query))


def store_units_of_sales(sale_pks: sa.Select[Any]) -> sa.Subquery:
    """Per sale (``sale_pk``): the units its store legs still carry, sold minus refunded
    (a sale's leg carries its quantity, a refund's minus the units refunded; a sale whose
    royalty is zero has no legs and is absent)."""
    return (
        sa.select(LEGS.c.sale_pk, sa.func.sum(LEGS.c.units).label("units"))
        .where(LEGS.c.sale_pk.in_(sale_pks), LEGS.c.account.like(_STORE))
        .group_by(LEGS.c.sale_pk)
        .subquery("store_units")
    )

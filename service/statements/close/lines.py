"""Close step 2: a month's statement lines by aggregate SQL (and, later, DSR usage rows).

Lines are summed from ``close_part`` (the month's royalties per party, line dimensions
and sale currency, already in the party's currency: see ``fx``) into ``close_line``, a
temporary table the statements' totals are read from; then each is one
``INSERT … SELECT`` for every statement at once (never a loop over sales). Line numbers
come from ``row_number()`` so pages and streams can read them back in keyset chunks.
Statements are joined through ``close_statement`` (party -> statement id), a small
temporary table with fresh statistics, so the planner never guesses about the rows the
close has just written.
"""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger.kinds import TransactionKind
from service.money import Money
from service.sql import is_postgresql, table_of
from service.statements.close.fx import LINE_DIMENSIONS, PARTS, TEMP
from service.statements.models import Statement, StatementLine, StatementUsage
from service.statements.repository import LEGS, TXS, royalty_legs

STATEMENTS = table_of(Statement)
LINES = table_of(StatementLine)
USAGE = table_of(StatementUsage)

CLOSE_LINES = sa.Table(
    "close_line",
    TEMP,
    sa.Column("account", sa.String(80)),
    *(sa.Column(c.name, c.type) for c in PARTS.c if c.name in LINE_DIMENSIONS),
    sa.Column("royalty", sa.BigInteger),
    sa.Column("units", sa.BigInteger),
    sa.Column("gross", sa.BigInteger),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
CLOSE_STATEMENTS = sa.Table(
    "close_statement",
    TEMP,
    sa.Column("account", sa.String(80)),
    sa.Column("statement_id", sa.String(32)),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def fill_lines(session: Session) -> None:
    """``close_line``: one row per statement line of every party (in its own currency)."""
    keys = [PARTS.c.account, *(PARTS.c[name] for name in LINE_DIMENSIONS)]
    royalty, units, gross = (sa.func.sum(PARTS.c[n]) for n in ("royalty", "units", "gross"))
    query = (
        sa.select(*keys, royalty, units, gross)
        .group_by(*keys)
        # A sale refunded in the same month nets to nothing: no line for it.
        .having(sa.or_(royalty != 0, units != 0, gross != 0))
    )
    columns = ["account", *LINE_DIMENSIONS, "royalty", "units", "gross"]
    session.execute(sa.insert(CLOSE_LINES).from_select(columns, query))


def line_totals(session: Session) -> dict[str, tuple[int, Decimal]]:
    """Party -> (line count, exact royalty) of the month's lines in ``close_line``."""
    royalty = sa.type_coerce(sa.func.sum(CLOSE_LINES.c.royalty), Money()).label("royalty")
    query = sa.select(CLOSE_LINES.c.account, sa.func.count().label("lines"), royalty)
    return {
        r.account: (int(r.lines), r.royalty)
        for r in session.execute(query.group_by(CLOSE_LINES.c.account))
    }


def map_statements(session: Session, statement_ids: dict[str, str]) -> None:
    """Fill ``close_statement`` (party -> statement id) and refresh the planner's statistics
    of the temporary tables (PostgreSQL never analyses them by itself)."""
    rows = [{"account": a, "statement_id": s} for a, s in statement_ids.items()]
    if rows:
        session.execute(sa.insert(CLOSE_STATEMENTS), rows)
    if is_postgresql(session):
        for table in (CLOSE_LINES, CLOSE_STATEMENTS):
            session.execute(sa.text(f"ANALYZE {table.name}"))


def insert_lines(session: Session) -> None:
    g, m = CLOSE_LINES, CLOSE_STATEMENTS
    order = [
        sa.func.coalesce(g.c.isrc, ""),
        sa.func.coalesce(g.c.iswc, ""),
        sa.func.coalesce(g.c.territory, ""),
        g.c.right_type,
        sa.func.coalesce(g.c.holder_id, ""),
        g.c.adjustment,
        g.c.non_member,
        sa.nulls_first(g.c.share.asc()),
    ]
    query = sa.select(
        m.c.statement_id,
        sa.func.row_number().over(partition_by=m.c.statement_id, order_by=order),
        g.c.isrc,
        g.c.iswc,
        g.c.territory,
        g.c.right_type,
        g.c.holder_id,
        g.c.share,
        g.c.units,
        g.c.gross,
        g.c.royalty,
        g.c.adjustment,
        g.c.non_member,
    ).select_from(g.join(m, m.c.account == g.c.account))
    columns = [
        "statement_id",
        "line_no",
        "isrc",
        "iswc",
        "territory",
        "right_type",
        "holder_id",
        "share",
        "units",
        "gross_sales",
        "royalty",
        "adjustment",
        "non_member",
    ]
    session.execute(sa.insert(LINES).from_select(columns, query))


def usage_rows(statement_id: str | None, party: str | None, period: str) -> sa.Select[Any]:
    """DSR usage rows (``statement_usage``'s columns), computed from the ledger: one
    statement's, or (``statement_id`` and ``party`` None) every statement's of ``period``."""
    s = _usage_per_sale(statement_id, party, period).c
    order = [
        sa.func.coalesce(s.isrc, ""),
        sa.func.coalesce(s.territory, ""),
        s.right_type,
        s.currency,
        s.sale_pk,
    ]
    return sa.select(
        s.statement_id,
        sa.func.row_number().over(partition_by=s.statement_id, order_by=order).label("row_no"),
        s.isrc,
        s.territory,
        s.right_type,
        s.currency,
        s.sale_pk,
        s.usages,
        s.returns,
        s.gross_sold,
        s.gross_returned,
        s.royalty,
        (s.late == 1).label("late"),
    )


def insert_usage(session: Session, period: str) -> None:
    """DSR usage: a row per statement, sale and right type, in the sale's currency.

    Written by the close for all of the month's statements in one statement
    (``representations``), from the parties' legs of the month. The legs of a closed month
    never change, so neither do these rows. A plain INSERT: the month's statements were
    created in this very transaction, so no row of theirs can exist yet.
    """
    query = usage_rows(None, None, period)
    columns = [
        "statement_id",
        "row_no",
        "isrc",
        "territory",
        "right_type",
        "currency",
        "sale_pk",
        "usages",
        "returns",
        "gross_sold",
        "gross_returned",
        "royalty",
        "late",
    ]
    session.execute(sa.insert(USAGE).from_select(columns, query))


def _usage_per_sale(statement_id: str | None, party: str | None, period: str) -> sa.Subquery:
    """The party's royalty legs of the month (or every statement party's), one row per
    statement, sale, right type and currency."""
    if statement_id is None:
        statement: sa.ColumnElement[Any] = STATEMENTS.c.id
        legs = royalty_legs().join(
            STATEMENTS,
            sa.and_(STATEMENTS.c.party == LEGS.c.account, STATEMENTS.c.period == period),
        )
        by_statement = [STATEMENTS.c.id]
    else:
        statement = sa.literal(statement_id, sa.String)
        legs = royalty_legs().where(LEGS.c.account == party)
        by_statement = []
    per_tx = (
        legs.add_columns(
            statement.label("statement_id"),
            LEGS.c.isrc,
            LEGS.c.territory,
            LEGS.c.right_type,
            LEGS.c.currency,
            LEGS.c.sale_pk,
            TXS.c.kind,
            # Legs of one transaction repeat the sale's units and gross (one per holder).
            sa.func.max(sa.func.abs(sa.func.coalesce(LEGS.c.units, 0))).label("u"),
            sa.func.max(sa.func.abs(sa.func.coalesce(LEGS.c.gross, 0))).label("g"),
            sa.func.sum(LEGS.c.amount).label("r"),
            # Dated in an earlier, closed month: the lines' `adjustment`, the DSR's late sale.
            sa.func.max(sa.case((TXS.c.adjustment, 1), else_=0)).label("late"),
        )
        .where(LEGS.c.period == period, TXS.c.period == period)
        .group_by(
            *by_statement,
            LEGS.c.isrc,
            LEGS.c.territory,
            LEGS.c.right_type,
            LEGS.c.currency,
            LEGS.c.sale_pk,
            LEGS.c.sequence,
            TXS.c.kind,
        )
        .subquery("per_tx")
    )
    refund = per_tx.c.kind == TransactionKind.refund
    keys = [
        per_tx.c.statement_id,
        per_tx.c.isrc,
        per_tx.c.territory,
        per_tx.c.right_type,
        per_tx.c.currency,
        per_tx.c.sale_pk,
    ]
    per_sale = (
        sa.select(
            *keys,
            # A sale and the releases of its held royalty describe the same units sold.
            sa.func.max(sa.case((refund, 0), else_=per_tx.c.u)).label("usages"),
            sa.func.sum(sa.case((refund, per_tx.c.u), else_=0)).label("returns"),
            sa.func.max(sa.case((refund, 0), else_=per_tx.c.g)).label("gross_sold"),
            sa.func.sum(sa.case((refund, per_tx.c.g), else_=0)).label("gross_returned"),
            sa.func.sum(per_tx.c.r).label("royalty"),
            sa.func.max(per_tx.c.late).label("late"),
        )
        .group_by(*keys)
        .subquery("per_sale")
    )
    return per_sale

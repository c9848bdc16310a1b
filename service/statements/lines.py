"""Close step 2: a month's statement lines and DSR usage rows, by aggregate SQL.

Each is one ``INSERT … SELECT … GROUP BY`` over the month's legs for every statement at
once (never a loop over sales); line numbers come from ``row_number()`` so pages and
streams can read them back in keyset chunks.
"""

import sqlalchemy as sa
from sqlmodel import Session

from service.statements.ledgerq import (
    LEGS,
    REFUND,
    TXS,
    parties,
    royalty_legs,
    signed_gross,
    signed_units,
)
from service.statements.models import Statement, StatementLine, StatementUsage

STATEMENTS: sa.Table = Statement.__table__  # type: ignore[attr-defined]
LINES: sa.Table = StatementLine.__table__  # type: ignore[attr-defined]
USAGE: sa.Table = StatementUsage.__table__  # type: ignore[attr-defined]


def line_groups(period: str) -> sa.Subquery:
    """The month's statement lines of every party, in its own currency (after conversion)."""
    party = parties()
    units, gross = signed_units(), signed_gross()
    amount = sa.func.sum(LEGS.c.amount)
    keys = [
        LEGS.c.account,
        LEGS.c.isrc,
        LEGS.c.iswc,
        LEGS.c.territory,
        LEGS.c.right_type,
        LEGS.c.holder_id,
        TXS.c.adjustment,
        LEGS.c.non_member,
        LEGS.c.share,
    ]
    return (
        royalty_legs(with_conversions=True)
        .join(
            party,
            sa.and_(party.c.account == LEGS.c.account, party.c.currency == LEGS.c.currency),
        )
        .add_columns(
            *keys,
            amount.label("royalty"),
            sa.func.sum(units).label("units"),
            sa.type_coerce(sa.func.sum(gross), LEGS.c.gross.type).label("gross_sales"),
        )
        .where(TXS.c.period == period)
        .group_by(*keys)
        # A sale refunded in the same month nets to nothing: no line for it.
        .having(sa.or_(amount != 0, sa.func.sum(units) != 0, sa.func.sum(gross) != 0))
        .subquery("line")
    )


def insert_lines(session: Session, period: str) -> None:
    g = line_groups(period)
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
    st = STATEMENTS
    query = sa.select(
        st.c.id,
        sa.func.row_number().over(partition_by=st.c.id, order_by=order),
        g.c.isrc,
        g.c.iswc,
        g.c.territory,
        g.c.right_type,
        g.c.holder_id,
        g.c.share,
        g.c.units,
        g.c.gross_sales,
        g.c.royalty,
        g.c.adjustment,
        g.c.non_member,
    ).select_from(g.join(st, sa.and_(st.c.party == g.c.account, st.c.period == period)))
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


def insert_usage(session: Session, period: str) -> None:
    """One row per sale and right type behind each statement, in the sale's currency."""
    st = STATEMENTS
    per_tx = (
        royalty_legs(with_conversions=False)
        .join(st, sa.and_(st.c.party == LEGS.c.account, st.c.period == period))
        .add_columns(
            st.c.id.label("statement_id"),
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
        )
        .where(TXS.c.period == period)
        .group_by(
            st.c.id,
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
    refund = per_tx.c.kind == REFUND
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
        )
        .group_by(*keys)
        .subquery("per_sale")
    )
    s = per_sale.c
    order = [
        sa.func.coalesce(s.isrc, ""),
        sa.func.coalesce(s.territory, ""),
        s.right_type,
        s.currency,
        s.sale_pk,
    ]
    query = sa.select(
        s.statement_id,
        sa.func.row_number().over(partition_by=s.statement_id, order_by=order),
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
    )
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
    ]
    session.execute(sa.insert(USAGE).from_select(columns, query))

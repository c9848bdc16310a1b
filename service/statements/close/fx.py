"""Close step 1: every party's month in its own currency, and the conversions booked.

Each royalty leg in another currency than its party's converts at the latest rate on or
before its sale's day (a refund or release converts at its sale's day too, like the sale
did). The month's royalty legs are summed per party, statement-line dimensions, sale
currency and that rate, and each foreign sum is converted once, exactly, and rounded
half-even to the micro-unit (days sharing a rate are summed before converting: one
rounding per line and rate). The results are kept in a temporary table, ``close_part``,
from which the statement lines and the statements' totals are then built (``lines``).

PostgreSQL does all of it in one ``INSERT … SELECT`` (exact NUMERIC arithmetic against
``close_rate``, the rate of each pair and day the month may need); SQLite, the small
embedded engine, fetches the month's day groups and converts them in Python with the same
rule. Either way the amounts are the same to the micro-unit.

The conversions are booked as ``fx_conversion`` transactions through ``fx:<CUR>`` accounts
so that each party's month ends up wholly in its own currency while the ledger stays
balanced per currency: one transaction per party, currency pair and adjustment flag, with
four legs (the party's sale-currency total leaves, the converted total arrives, the two
``fx:`` accounts balance them). A statement's lines add up exactly to what the ledger
then holds for the party in its currency.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger import accounts
from service.ledger.kinds import TransactionKind
from service.ledger.service import Leg, Posting, post
from service.money import ExactDecimal, Money
from service.sales.repository import sale_day
from service.sql import is_postgresql, table_of
from service.statements.amounts import exact_product
from service.statements.exceptions import MissingFxRates
from service.statements.periods import first_day, last_day
from service.statements.repository import (
    LEGS,
    SALES,
    TXS,
    parties,
    royalty_legs,
    signed_gross,
    signed_units,
)
from service.tariffs.models import FxRate
from service.tariffs.service import load_fx

# Temporary tables of one close (dropped at commit on PostgreSQL, by the close on SQLite).
TEMP = sa.MetaData()
LINE_DIMENSIONS = (
    "isrc",
    "iswc",
    "territory",
    "right_type",
    "holder_id",
    "adjustment",
    "non_member",
    "share",
)
_HASH_PLAN = ("enable_sort", "enable_mergejoin", "enable_nestloop")
_FX_RATES = table_of(FxRate)
_TEMP_OPTIONS: dict[str, Any] = {"prefixes": ["TEMPORARY"], "postgresql_on_commit": "DROP"}


def _dimension_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("isrc", sa.String(12)),
        sa.Column("iswc", sa.String(15)),
        sa.Column("territory", sa.String(2)),
        sa.Column("right_type", sa.String(16)),
        sa.Column("holder_id", sa.String(32)),
        sa.Column("adjustment", sa.Boolean),
        sa.Column("non_member", sa.Boolean),
        sa.Column("share", ExactDecimal),
    ]


# Per party, line dimensions, sale currency and rate: royalty and gross converted into the
# party's currency (micro-units), the amount in the sale currency, and flags.
PARTS = sa.Table(
    "close_part",
    TEMP,
    sa.Column("account", sa.String(80)),
    sa.Column("currency", sa.String(3)),
    sa.Column("to_currency", sa.String(3)),
    *_dimension_columns(),
    sa.Column("royalty", sa.BigInteger),
    sa.Column("units", sa.BigInteger),
    sa.Column("gross", sa.BigInteger),
    sa.Column("source_amount", sa.BigInteger),
    sa.Column("moved", sa.Integer),  # 1: the group holds something (amount, units or gross)
    sa.Column("unrated", sa.Integer),  # 1: a foreign group that moved has no rate
    **_TEMP_OPTIONS,
)
# The rate of each (pair, day) the month may need, as FxTable.rate answers it.
RATES = sa.Table(
    "close_rate",
    TEMP,
    sa.Column("from_currency", sa.String(3)),
    sa.Column("to_currency", sa.String(3)),
    sa.Column("day", sa.Date),
    sa.Column("rate", sa.Numeric),
    **_TEMP_OPTIONS,
)


def _day_groups(session: Session, period: str) -> sa.Select[Any]:
    """The month's royalty legs per party, line dimensions, currency and sale day (what
    SQLite converts in Python, and where PostgreSQL looks for the days a rate is missing)."""
    party = parties()
    month_end: Any = last_day(period) if is_postgresql(session) else last_day(period).isoformat()
    # Legs without a sale (none today) convert at the month's last day.
    day = sa.func.coalesce(sale_day(session), month_end).label("day")
    dims = [TXS.c.adjustment if name == "adjustment" else LEGS.c[name] for name in LINE_DIMENSIONS]
    keys = [LEGS.c.account, LEGS.c.currency, party.c.currency.label("to_currency"), *dims, day]
    return (
        royalty_legs()
        .join(party, party.c.account == LEGS.c.account)
        .outerjoin(SALES, SALES.c.id == LEGS.c.sale_pk)
        .add_columns(
            *keys,
            sa.type_coerce(sa.func.sum(LEGS.c.amount), sa.BigInteger).label("amount"),
            sa.func.sum(signed_units()).label("units"),
            sa.type_coerce(sa.func.sum(signed_gross()), sa.BigInteger).label("gross"),
        )
        .where(TXS.c.period == period)
        .group_by(*keys)
    )


def _half_even(x: Any) -> Any:
    """Round an exact NUMERIC to an integer, half to even (PostgreSQL's round() is half up)."""
    floor = sa.func.floor(x)
    return sa.case(
        (x - floor > 0.5, floor + 1),
        (x - floor < 0.5, floor),
        else_=floor + sa.func.mod(sa.func.abs(floor), 2),
    )


def _rated_days(session: Session, period: str) -> set[date]:
    """Every sale day the month's royalties can have: the month's own days, and those of
    refunds, releases and late sales (their sales may lie in earlier months)."""
    days = {first_day(period) + timedelta(days=n) for n in range(last_day(period).day)}
    late = (
        sa.select(sale_day(session))
        .select_from(
            LEGS.join(TXS, TXS.c.sequence == LEGS.c.sequence).join(
                SALES, SALES.c.id == LEGS.c.sale_pk
            )
        )
        .where(TXS.c.period == period, sa.or_(TXS.c.kind != TransactionKind.sale, TXS.c.adjustment))
        .distinct()
    )
    days.update(sold_on for (sold_on,) in session.execute(late))
    return days


def _fill_rates(session: Session, period: str) -> None:
    """``close_rate``: the rate of every pair with known rates, on each day that may need it
    (the pairs are few: those the fx_rate table names, and their inverses)."""
    pairs = session.execute(
        sa.select(_FX_RATES.c.from_currency, _FX_RATES.c.to_currency)
        .where(_FX_RATES.c.date <= last_day(period))
        .distinct()
    ).all()
    currencies = {c for pair in pairs for c in pair}
    table = load_fx(session=session, currencies=currencies, until=last_day(period))
    days = sorted(_rated_days(session, period))
    rows = []
    for source, target in sorted({*pairs, *((t, s) for s, t in pairs)}):
        for day in days:
            rate = table.rate(source, target, day)
            if rate is not None:
                rows.append(
                    {"from_currency": source, "to_currency": target, "day": day, "rate": rate}
                )
    if rows:
        session.execute(sa.insert(RATES), rows)
    session.execute(sa.text(f"ANALYZE {RATES.name}"))  # temporary: never analysed otherwise


def _parts_in_sql(session: Session, period: str) -> None:
    _fill_rates(session, period)
    party = parties()
    day = sa.func.coalesce(sale_day(session), last_day(period))
    rated = sa.and_(
        RATES.c.from_currency == LEGS.c.currency,
        RATES.c.to_currency == party.c.currency,
        RATES.c.day == day,
    )
    native = LEGS.c.currency == party.c.currency
    amount = sa.func.sum(LEGS.c.amount)
    units = sa.func.sum(signed_units())
    gross = sa.func.sum(signed_gross())
    moved = sa.or_(amount != 0, units != 0, gross != 0)
    dims = [TXS.c.adjustment if name == "adjustment" else LEGS.c[name] for name in LINE_DIMENSIONS]
    keys = [LEGS.c.account, LEGS.c.currency, party.c.currency, *dims, RATES.c.rate]
    query = (
        royalty_legs()
        .join(party, party.c.account == LEGS.c.account)
        .outerjoin(SALES, SALES.c.id == LEGS.c.sale_pk)
        .outerjoin(RATES, rated)
        .add_columns(
            *keys[:-1],
            sa.case((native, amount), else_=_half_even(amount * RATES.c.rate)),
            units,
            sa.case((native, gross), else_=_half_even(gross * RATES.c.rate)),
            amount,
            sa.case((moved, 1), else_=0),
            sa.case((sa.and_(~native, moved, RATES.c.rate.is_(None)), 1), else_=0),
        )
        # The legs' own period too: it lets the planner filter legs before joining them.
        .where(LEGS.c.period == period, TXS.c.period == period)
        .group_by(*keys)
    )
    columns = ["account", "currency", "to_currency", *LINE_DIMENSIONS]
    columns += ["royalty", "units", "gross", "source_amount", "moved", "unrated"]
    # The planner multiplies the group columns' distinct counts (millions of groups, where
    # a month has a few hundred thousand lines), so it sorts the month's legs on disk and
    # reaches them account by account through an index. Hash joins over sequential scans
    # and one in-memory hash aggregate are 3x faster at 10^6 sales (docs/performance-close.md).
    for setting in _HASH_PLAN:
        session.execute(sa.text(f"SET LOCAL {setting} = off"))
    session.execute(sa.insert(PARTS).from_select(columns, query))
    for setting in _HASH_PLAN:
        session.execute(sa.text(f"SET LOCAL {setting} TO DEFAULT"))
    if session.execute(sa.select(sa.func.sum(PARTS.c.unrated))).scalar():
        _refuse_unrated(session, period)


def _refuse_unrated(session: Session, period: str) -> None:
    """Name every pair and day some royalty of the month has no rate for."""
    g = _day_groups(session, period).subquery("g")
    day_moved = sa.or_(g.c.amount != 0, g.c.units != 0, g.c.gross != 0)
    missing = (
        sa.select(g.c.currency, g.c.to_currency, g.c.day)
        .select_from(
            g.outerjoin(
                RATES,
                sa.and_(
                    RATES.c.from_currency == g.c.currency,
                    RATES.c.to_currency == g.c.to_currency,
                    RATES.c.day == g.c.day,
                ),
            )
        )
        .where(g.c.currency != g.c.to_currency, day_moved, RATES.c.rate.is_(None))
        .distinct()
    )
    _refuse({(s, t, d) for s, t, d in session.execute(missing)})


def _convert(micros: int, rate: Decimal) -> int:
    return int(exact_product(Decimal(micros), rate).quantize(Decimal(1), ROUND_HALF_EVEN))


def _parts_in_python(session: Session, period: str) -> None:
    """The same parts as ``_parts_in_sql``, for SQLite (no exact decimal arithmetic)."""
    groups = session.execute(_day_groups(session, period)).mappings().all()
    foreign = [g for g in groups if g["currency"] != g["to_currency"]]
    currencies = {g["currency"] for g in foreign} | {g["to_currency"] for g in foreign}
    table = load_fx(session=session, currencies=currencies, until=last_day(period))
    by_rate: dict[tuple[Any, ...], list[int]] = {}
    missing: set[tuple[str, str, date]] = set()
    for g in groups:
        source, target = g["currency"], g["to_currency"]
        amount, units, gross = int(g["amount"] or 0), int(g["units"] or 0), int(g["gross"] or 0)
        rate = None
        if source != target:
            day = date.fromisoformat(str(g["day"])[:10])
            rate = table.rate(source, target, day)
            if rate is None:
                if amount or units or gross:
                    missing.add((source, target, day))
                continue
        key = (g["account"], source, target, *(g[n] for n in LINE_DIMENSIONS), rate)
        sums = by_rate.setdefault(key, [0, 0, 0])
        sums[0] += amount
        sums[1] += units
        sums[2] += gross
    if missing:
        _refuse(missing)
    names = ["account", "currency", "to_currency", *LINE_DIMENSIONS]
    rows = []
    for key, (amount, units, gross) in by_rate.items():
        *line, rate = key
        rows.append(
            dict(zip(names, line, strict=True))
            | {
                "royalty": amount if rate is None else _convert(amount, rate),
                "units": units,
                "gross": gross if rate is None else _convert(gross, rate),
                "source_amount": amount,
                "moved": 1 if (amount or units or gross) else 0,
                "unrated": 0,
            }
        )
    if rows:
        session.execute(sa.insert(PARTS), rows)


def _refuse(missing: set[tuple[str, str, date]]) -> None:
    days: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source, target, day in sorted(missing):
        days[(source, target)].append(day.isoformat())
    named = ", ".join(f"{source}/{target}" for source, target in days)
    raise MissingFxRates(
        f"No exchange rate on or before the sale date for {named}; "
        "add the rates (POST /v1/fx-rates) and close again. Nothing was written.",
        pairs=[{"from": s, "to": t, "dates": d} for (s, t), d in days.items()],
    )


def create_temporary_tables(session: Session) -> None:
    connection = session.connection()
    for table in TEMP.sorted_tables:
        table.create(connection)


def drop_temporary_tables(session: Session) -> None:
    connection = session.connection()
    for table in reversed(TEMP.sorted_tables):
        table.drop(connection)


def convert_period(*, session: Session, period: str) -> int:
    """Fill ``close_part`` and book the conversions; returns how many transactions.

    Raises MissingFxRates (naming every missing pair and date) before posting anything.
    """
    if is_postgresql(session):
        _parts_in_sql(session, period)
    else:
        _parts_in_python(session, period)
    money = Money()
    totals = session.execute(
        sa.select(
            PARTS.c.account,
            PARTS.c.currency,
            PARTS.c.to_currency,
            PARTS.c.adjustment,
            sa.type_coerce(sa.func.sum(PARTS.c.source_amount), money),
            sa.type_coerce(sa.func.sum(PARTS.c.royalty), money),
        )
        .where(PARTS.c.currency != PARTS.c.to_currency)
        .group_by(PARTS.c.account, PARTS.c.currency, PARTS.c.to_currency, PARTS.c.adjustment)
        .having(sa.func.sum(PARTS.c.moved) > 0)
        .order_by(PARTS.c.account, PARTS.c.currency, PARTS.c.to_currency, PARTS.c.adjustment)
    ).all()
    postings = []
    for account, source, target, adjustment, total_from, total_to in totals:
        suffix = ":adjustment" if adjustment else ""
        postings.append(
            Posting(
                kind=TransactionKind.fx_conversion,
                reference=f"close:{period}:{account}:{source}-{target}{suffix}",
                period=period,
                legs=[
                    Leg(account, source, -total_from),
                    Leg(accounts.fx(source), source, total_from),
                    Leg(accounts.fx(target), target, -total_to),
                    Leg(account, target, total_to),
                ],
                adjustment=bool(adjustment),
            )
        )
    post(session=session, postings=postings)
    return len(postings)


__all__ = [
    "LINE_DIMENSIONS",
    "PARTS",
    "TEMP",
    "convert_period",
    "create_temporary_tables",
    "drop_temporary_tables",
]

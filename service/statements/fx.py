"""Close step 1: convert a month's royalties into each party's payout currency.

One grouped query finds what a party holds in other currencies, per statement-line
dimensions and sale day; each group is converted at the latest rate on or before the
sale's day (a refund or release converts at its sale's day too, like the sale did) and
booked as ``fx_conversion`` transactions through ``fx:<CUR>`` accounts, so the party's
month ends up wholly in its own currency while the ledger stays balanced per currency.
One transaction per party, currency pair and adjustment flag: the party's sale-currency
total leaves in one leg, and one converted leg per group carries the line dimensions.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger.service import Leg, Posting, post
from service.money import MICRO
from service.statements.amounts import exact_product
from service.statements.exceptions import MissingFxRates
from service.statements.ledgerq import (
    FX_CONVERSION,
    LEGS,
    SALES,
    TXS,
    parties,
    royalty_legs,
    sale_day,
    signed_gross,
    signed_units,
)
from service.statements.periods import last_day
from service.tariffs.service import FxTable, load_fx

_DIMENSIONS = (
    "isrc",
    "iswc",
    "territory",
    "right_type",
    "holder_id",
    "society_code",
    "non_member",
    "share",
)


@dataclass(frozen=True, slots=True)
class _Group:
    account: str
    from_currency: str
    to_currency: str
    adjustment: bool
    day: date
    dims: dict[str, Any]
    amount: Decimal
    units: int
    gross: Decimal


def _convert(amount: Decimal, rate: Decimal) -> Decimal:
    return exact_product(amount, rate).quantize(MICRO, rounding=ROUND_HALF_EVEN)


def _foreign_groups(session: Session, period: str) -> list[_Group]:
    party = parties()
    dialect = session.get_bind().dialect.name
    day = sale_day(dialect).label("day")
    dims = [LEGS.c[name] for name in _DIMENSIONS]
    query = (
        royalty_legs(with_conversions=False)
        .join(party, party.c.account == LEGS.c.account)
        .outerjoin(SALES, SALES.c.id == LEGS.c.sale_pk)
        .add_columns(
            LEGS.c.account,
            LEGS.c.currency,
            party.c.currency.label("to_currency"),
            TXS.c.adjustment,
            day,
            *dims,
            sa.func.sum(LEGS.c.amount).label("amount"),
            sa.func.sum(signed_units()).label("units"),
            sa.type_coerce(sa.func.sum(signed_gross()), LEGS.c.gross.type).label("gross"),
        )
        .where(TXS.c.period == period, LEGS.c.currency != party.c.currency)
        .group_by(
            LEGS.c.account,
            LEGS.c.currency,
            party.c.currency,
            TXS.c.adjustment,
            day,
            *dims,
        )
    )
    fallback = last_day(period)  # legs without a sale (none today) convert at month end
    days: dict[Any, date] = {None: fallback}
    groups = []
    for row in session.execute(query).mappings():
        units, amount, gross = int(row["units"] or 0), row["amount"], row["gross"]
        if amount == 0 and units == 0 and gross == 0:
            continue  # a sale and its refund in one month: nothing to convert or report
        sold_on = days.get(row["day"])
        if sold_on is None:
            sold_on = days[row["day"]] = date.fromisoformat(str(row["day"])[:10])
        groups.append(
            _Group(
                account=row["account"],
                from_currency=row["currency"],
                to_currency=row["to_currency"],
                adjustment=bool(row["adjustment"]),
                day=sold_on,
                dims={name: row[name] for name in _DIMENSIONS},
                amount=amount,
                units=units,
                gross=gross,
            )
        )
    return groups


def _rates(groups: list[_Group], table: FxTable) -> dict[tuple[str, str, date], Decimal]:
    rates: dict[tuple[str, str, date], Decimal] = {}
    missing: set[tuple[str, str, date]] = set()
    for g in groups:
        key = (g.from_currency, g.to_currency, g.day)
        if key in rates or key in missing:
            continue
        rate = table.rate(g.from_currency, g.to_currency, g.day)
        if rate is None:
            missing.add(key)
        else:
            rates[key] = rate
    if missing:
        days: dict[tuple[str, str], list[str]] = defaultdict(list)
        for source, target, day in sorted(missing):
            days[(source, target)].append(day.isoformat())
        named = ", ".join(f"{source}/{target}" for source, target in days)
        raise MissingFxRates(
            f"No exchange rate on or before the sale date for {named}; "
            "add the rates (POST /v1/fx-rates) and close again. Nothing was written.",
            pairs=[{"from": s, "to": t, "dates": d} for (s, t), d in days.items()],
        )
    return rates


def convert_period(*, session: Session, period: str) -> int:
    """Book the conversions of ``period``; returns how many transactions were posted.

    Raises MissingFxRates (naming every missing pair) before writing anything.
    """
    groups = _foreign_groups(session, period)
    if not groups:
        return 0
    currencies = {g.from_currency for g in groups} | {g.to_currency for g in groups}
    table = load_fx(session=session, currencies=currencies, until=last_day(period))
    rates = _rates(groups, table)
    by_posting: dict[tuple[str, str, str, bool], list[_Group]] = defaultdict(list)
    for g in groups:
        by_posting[(g.account, g.from_currency, g.to_currency, g.adjustment)].append(g)
    postings = []
    for (account, source, target, adjustment), members in sorted(by_posting.items()):
        legs: list[Leg] = []
        total_from = total_to = Decimal(0)
        for g in members:
            rate = rates[(source, target, g.day)]
            converted = _convert(g.amount, rate)
            legs.append(
                Leg(
                    account,
                    target,
                    converted,
                    units=g.units,
                    gross=_convert(g.gross, rate),
                    **g.dims,
                )
            )
            total_from += g.amount
            total_to += converted
        # The party's holding in the sale currency leaves in one leg; only the converted
        # side carries the line dimensions, as that is what statement lines are made of.
        legs.append(Leg(account, source, -total_from))
        legs.append(Leg(f"fx:{source}", source, total_from))
        legs.append(Leg(f"fx:{target}", target, -total_to))
        suffix = ":adjustment" if adjustment else ""
        postings.append(
            Posting(
                kind=FX_CONVERSION,
                reference=f"close:{period}:{account}:{source}-{target}{suffix}",
                period=period,
                legs=legs,
                adjustment=adjustment,
            )
        )
    post(session=session, postings=postings)
    return len(postings)

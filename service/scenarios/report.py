"""A scenario's report as its representations show it: JSON body and CSV (pure)."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from service.scenarios.schemas import (
    ExceptionPublic,
    PartyComparison,
    ScenarioPublic,
    TariffOverride,
    TerritoryComparison,
    TerritoryRule,
)
from service.scenarios.service import Report

CSV_COLUMNS = (
    "party",
    "holder_id",
    "currency",
    "territory",
    "right_type",
    "books",
    "scenario",
    "difference",
)


def parties(rows: Iterable[Any]) -> list[PartyComparison]:
    """Per party and currency: the books, the scenario and the difference."""
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        entry = sums[(row.party, row.currency)]
        entry[0] += row.books
        entry[1] += row.scenario
    return [
        PartyComparison(party=party, currency=currency, books=b, scenario=s, difference=s - b)
        for (party, currency), (b, s) in sorted(sums.items())
    ]


def public(report: Report) -> ScenarioPublic:
    s = report.scenario
    return ScenarioPublic(
        id=s.id,
        created_at=s.created_at,
        period_from=s.period_from,
        period_to=s.period_to,
        store=s.store_code,
        territory=TerritoryRule(s.territory_rule),
        tariffs=[TariffOverride.model_validate(o) for o in s.overrides],
        catalogue_date=s.catalogue_date,
        sales=s.sales if report.admin else None,
        groups=s.groups if report.admin else None,
        ledger_sequence=s.ledger_sequence,
        differs_from_books=report.differs_from_books,
        parties=parties(report.rows),
        lines=[
            TerritoryComparison(
                party=r.party,
                holder_id=r.holder_id,
                currency=r.currency,
                territory=r.territory,
                right_type=r.right_type,
                books=r.books,
                scenario=r.scenario,
                difference=r.scenario - r.books,
            )
            for r in report.rows
        ],
        exceptions=[
            ExceptionPublic.model_validate(e, from_attributes=True) for e in report.exceptions
        ],
    )


def csv_text(report: Report) -> str:
    """One line per row of the report the caller reads, with a header (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.rows:
        writer.writerow(
            (
                r.party,
                r.holder_id or "",
                r.currency,
                r.territory,
                r.right_type or "",
                r.books,
                r.scenario,
                r.scenario - r.books,
            )
        )
    return out.getvalue()

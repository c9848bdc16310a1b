"""Scenario pages: the list, and one report with books and scenario side by side.

Everything is read through ``scenarios.service`` with the session's caller, so a page
shows exactly the rows the API shows that key (the statements' access rule).
"""

from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.db import SessionDep
from service.errors import DomainError
from service.parties import service as parties
from service.portal import charts
from service.portal.dependencies import Portal, error_page, render
from service.scenarios import report as reports
from service.scenarios import service as scenarios
from service.scenarios.schemas import PartyComparison

router = APIRouter(prefix="/portal", include_in_schema=False)


@dataclass(frozen=True, slots=True)
class PairedChart:
    currency: str
    title: str
    svg: str
    parties: list[PartyComparison]


@router.get("/scenarios", response_class=HTMLResponse)
def scenario_list(request: Request, session: SessionDep, who: Portal) -> Response:
    return render(request, "scenarios.html", who, scenarios=scenarios.recent(session=session))


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
def scenario_page(request: Request, scenario_id: str, session: SessionDep, who: Portal) -> Response:
    try:
        found = scenarios.get(session=session, scenario_id=scenario_id, caller=who.caller)
    except DomainError as exc:
        return error_page(request, who, exc)
    public = reports.public(found)
    holder_ids = {r.holder_id for r in found.rows if r.holder_id}
    names = parties.holder_names(session=session, holder_ids=holder_ids)
    return render(
        request,
        "scenario.html",
        who,
        report=public,
        charts=_charts(public.parties, names),
        names=names,
        label_of=lambda party: label_of(party, names),
    )


@router.get("/scenarios/{scenario_id}/download.csv")
def download(request: Request, scenario_id: str, session: SessionDep, who: Portal) -> Response:
    """The API's CSV, byte for byte (same service, same renderer)."""
    try:
        found = scenarios.get(session=session, scenario_id=scenario_id, caller=who.caller)
    except DomainError as exc:
        return error_page(request, who, exc)
    return Response(
        reports.csv_text(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="scenario-{scenario_id}.csv"'},
    )


def label_of(party: str, names: dict[str, str]) -> str:
    """A party as a person reads it: a society's code, a holder's name, ``suspense: …``."""
    kind, _, name = party.partition(":")
    if kind == "holder":
        return names.get(name, party)
    return f"{kind}: {name}" if kind in ("suspense", "store") else name


def _charts(owed: list[PartyComparison], names: dict[str, str]) -> list[PairedChart]:
    """One chart per currency over the parties that are owed (the store's side, which
    only balances them, is in the table)."""
    found = []
    for currency in sorted({p.currency for p in owed}):
        mine = [p for p in owed if p.currency == currency]
        values = [
            (label_of(p.party, names), max(p.books, Decimal(0)), max(p.scenario, Decimal(0)))
            for p in mine
            if not p.party.startswith("store:") and (p.books > 0 or p.scenario > 0)
        ]
        title = f"Books and scenario per party, {currency}"
        svg = charts.paired(title, values, currency=currency, chart_id=f"parties-{currency}")
        found.append(PairedChart(currency, title, svg, mine))
    return found

"""HTTP endpoints of scenarios (thin: parse, authorise, call, shape)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from service.auth.dependencies import HEADER_MAX_LENGTH, AdminCaller, IdPath, PartyReader
from service.db import SessionDep
from service.scenarios import report, service
from service.scenarios.schemas import ScenarioCreate, ScenarioPublic

router = APIRouter(prefix="/v1", tags=["scenarios"])


@router.post("/scenarios", status_code=201)
def create_scenario(
    data: ScenarioCreate, session: SessionDep, caller: AdminCaller
) -> ScenarioPublic:
    """Re-price every sale of the months (optionally of one store) under `territory`
    (`buyer`, today's rule, or `store_licence`: as if sold where the store is licensed),
    tariff overrides and a catalogue date, with the engine that booked them; store the
    report beside the books. Nothing is booked: no ledger entry, balance or statement."""
    scenario = service.run(session=session, data=data)
    return report.public(service.get(session=session, scenario_id=scenario.id, caller=caller))


@router.get(
    "/scenarios/{scenario_id}",
    response_model=ScenarioPublic,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_scenario(
    scenario_id: IdPath,
    session: SessionDep,
    caller: PartyReader,
    accept: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
) -> Response:
    """The report: per party and currency, and per buyer's territory and right type, what
    the books say, what the scenario says and the difference; the sales it leaves
    unlicensed or held (admin). A society or holder reads only its own rows (the
    statements' rule); `Accept: text/csv` or `?format=csv` for CSV."""
    found = service.get(session=session, scenario_id=scenario_id, caller=caller)
    wants_csv = format == "csv" or (format is None and "text/csv" in (accept or ""))
    if wants_csv:
        return Response(
            report.csv_text(found),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="scenario-{scenario_id}.csv"',
                "Vary": "Accept",
            },
        )
    body = report.public(found).model_dump_json()
    return Response(body, media_type="application/json", headers={"Vary": "Accept"})

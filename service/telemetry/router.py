"""Operations endpoints: liveness, readiness and Prometheus metrics (no authentication:
they carry no ledger data, and probes and scrapers hold no API key)."""

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from service.db import SessionDep
from service.problems import problem, problem_codes
from service.telemetry.readiness import not_ready

router = APIRouter(tags=["ops"])


@router.get(
    "/healthz",
    responses={503: problem_codes("not_ready", description="The database does not answer")},
)
def healthz(session: SessionDep) -> Any:
    """200 when the service and its database answer (the public contract). Migrations at
    head and the rest of readiness are ``/readyz``'s."""
    try:
        session.execute(text("SELECT 1"))
    except Exception:
        return problem(503, detail="The database does not answer.", code="not_ready")
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: problem_codes("not_ready", description="Not ready (database or migrations)")},
)
def readyz(session: SessionDep) -> Any:
    """Readiness: 200 when the database answers and its schema is at the migrations'
    head; otherwise a 503 problem saying which and how to fix it."""
    reason = not_ready(session)  # the request's session: the app's database
    if reason is not None:
        return problem(503, detail=reason, code="not_ready", title="Not ready")
    return {"status": "ready"}


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

"""The FastAPI application: routers, problem handlers, middleware, health and metrics."""

from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from service.catalog.router import router as catalog_router
from service.config import Settings, get_settings
from service.db import SessionDep, make_engine
from service.ledger.router import router as ledger_router
from service.middleware import BodyLimit, Metrics
from service.parties.router import router as parties_router
from service.portal import dependencies as portal
from service.portal.admin.router import router as portal_admin_router
from service.portal.holders.router import router as portal_holders_router
from service.portal.router import router as portal_router
from service.problems import PROBLEM_RESPONSES, install_problem_handlers, problem
from service.sales import generation, suspense
from service.sales.router import router as sales_router
from service.statements.router import router as statements_router
from service.takedowns.router import router as takedowns_router
from service.tariffs.router import router as tariffs_router

DESCRIPTION = """
Royalty books between download stores, collecting societies and rights holders.
Money, rates and shares are decimal **strings**. Errors are RFC 9457 problem details.
Authenticate with `Authorization: Bearer <token>`.
"""


ROUTERS = (
    parties_router,
    catalog_router,
    tariffs_router,
    sales_router,
    ledger_router,
    statements_router,
    takedowns_router,
    portal_router,
    portal_holders_router,
    portal_admin_router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, wired explicitly: everything it depends on is registered here,
    nothing by the side effect of an import. ``settings`` (default: the environment's)
    is what every ``SettingsDep`` of a request receives, and names its database."""
    settings = settings or get_settings()
    suspense.subscribe_to_catalog()
    generation.tune_gc()
    app = FastAPI(title="royalty-ledger", version="1.0.0", description=DESCRIPTION)
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)  # connects on first use
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    portal.install(app)
    _add_ops_routes(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Metrics)
    return app


def _add_ops_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    def healthz(session: SessionDep) -> Any:
        """200 when the service and its database answer."""
        try:
            session.execute(text("SELECT 1"))
        except Exception:
            return problem(503, detail="The database does not answer.")
        return {"status": "ok"}

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


app = create_app()

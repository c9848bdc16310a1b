"""The FastAPI application: routers, problem handlers, middleware, health and metrics."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from service.accept_gate import GATE
from service.auth import usage
from service.auth.ratelimit import RateLimitHeaders, limiter_for
from service.catalog.cwr.router import router as cwr_router
from service.catalog.router import router as catalog_router
from service.config import Settings, get_settings
from service.downloads import Slots
from service.engines import Replicas, make_engine, make_read_engines
from service.ledger.router import router as ledger_router
from service.middleware import BodyLimit, GateWrites, RequestLog
from service.openapi import install_openapi
from service.parties.router import balances_router
from service.parties.router import router as parties_router
from service.portal import dependencies as portal
from service.portal.admin.router import router as portal_admin_router
from service.portal.decisions.router import router as portal_decisions_router
from service.portal.holders.router import router as portal_holders_router
from service.portal.pages import dependencies as portal_pages
from service.portal.router import router as portal_router
from service.portal.scenarios.router import router as portal_scenarios_router
from service.problems import PROBLEM_RESPONSES, install_problem_handlers
from service.problems import pages as problem_pages
from service.sales import suspense
from service.sales.dsr_intake import router as dsr
from service.sales.pricing import generation
from service.sales.router import router as sales_router
from service.scenarios.router import router as scenarios_router
from service.statements import pins as statement_pins
from service.statements.router import evidence_router
from service.statements.router import router as statements_router
from service.statements.signed_files.router import router as digests_router
from service.takedowns import worker
from service.takedowns.router import router as takedowns_router
from service.tariffs.router import router as tariffs_router
from service.telemetry.logs import configure_logging
from service.telemetry.metrics import watch_pool
from service.telemetry.router import router as ops_router
from service.tls import StrictTransportSecurity, behind_tls
from service.transparency import witnesses
from service.transparency import worker as transparency_worker
from service.transparency.router import router as transparency_router
from service.transparency.signing import settings_key

DESCRIPTION = """
Royalty books between download stores, collecting societies and rights holders.
Money, rates and shares are decimal **strings**. Errors are RFC 9457 problem details.
Authenticate with `Authorization: Bearer <token>`.
"""


ROUTERS = (
    parties_router,
    catalog_router,
    cwr_router,
    tariffs_router,
    sales_router,
    dsr.router,
    ledger_router,
    balances_router,
    statements_router,
    scenarios_router,
    takedowns_router,
    transparency_router,
    evidence_router,
    digests_router,
    portal_router,
    portal_holders_router,
    portal_admin_router,
    portal_decisions_router,
    portal_scenarios_router,
)


def package_version() -> str:
    """The installed package's version, which the contract's ``info.version`` states."""
    try:
        return version("royalty-ledger")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, wired explicitly: everything it depends on is registered here,
    nothing by the side effect of an import. ``settings`` (default: the environment's)
    is what every ``SettingsDep`` of a request receives, and names its database."""
    settings = settings or get_settings()
    suspense.subscribe_to_catalog()
    statement_pins.register()
    generation.tune_gc()
    generation.configure(settings.pricing_cache_mb)
    # /docs and /redoc with Swagger UI and ReDoc served from the fastapi-offline package:
    # a society's network may not reach a CDN, and the pages must not need one.
    app = FastAPIOffline(
        title="royalty-ledger",
        version=package_version(),
        description=DESCRIPTION,
        static_url="/docs-assets",
        lifespan=_serving,
    )
    install_openapi(app, body_limit=settings.max_body_bytes)
    app.state.settings = settings
    app.state.rate_limiter = limiter_for(settings.rate_limit)  # None: no limit (default)
    app.state.key_use = usage.KeyUse()  # API keys' last use, written by _serving's thread
    app.state.engine = make_engine(settings.database_url)  # connects on first use
    configure_logging()
    watch_pool(app.state.engine)
    app.state.replicas = Replicas(make_read_engines(settings.read_database_url))
    app.state.download_slots = Slots(
        per_party=settings.downloads_per_party, total=settings.downloads_total
    )
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    portal.install(app)
    portal_pages.install(app)
    app.include_router(ops_router)
    app.include_router(problem_pages)  # where a problem's `type` resolves
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, streamed=frozenset({dsr.PATH}))
    # A worker booking a batch lets the others accept the next one (service.accept_gate).
    GATE.enabled = settings.workers > 1
    app.add_middleware(GateWrites)
    app.add_middleware(RateLimitHeaders)
    if behind_tls(settings.public_url):
        app.add_middleware(StrictTransportSecurity)
    # Outermost, so refusals by BodyLimit are logged and carry a request id too.
    app.add_middleware(RequestLog)
    return app


@asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[None]:
    """While serving: write the API keys' last use every interval (auth.usage), and run
    the webhook worker (``_lifespan``)."""
    every_s = app.state.settings.key_use_flush_seconds
    with usage.flushing(app.state.engine, app.state.key_use, every_s):
        async with _lifespan(app):
            yield


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the in-process webhook worker with the app and stop it on shutdown (the
    outbox keeps whatever it had not delivered for the next start or another worker)."""
    async with _transparency(app):
        if not app.state.settings.webhooks_worker:
            yield
            return
        thread, stop = worker.start_in_background(
            app.state.engine, allow_private=app.state.settings.webhook_allow_private
        )
        try:
            yield
        finally:
            stop.set()  # cancels an attempt under way (takedowns.delivery)
            thread.join(timeout=5)


@asynccontextmanager
async def _transparency(app: FastAPI) -> AsyncIterator[None]:
    """Sign the grown log and gather cosignatures in a thread (transparency/worker.py)."""
    settings = app.state.settings
    if not settings.transparency_worker:
        yield
        return
    thread, stop = transparency_worker.start_in_background(
        app.state.engine,
        settings_key(settings),
        witnesses.configured(settings.witnesses),
        settings.transparency_interval_seconds,
    )
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=15)


app = create_app()

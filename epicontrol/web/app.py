"""The FastAPI application factory."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from epicontrol import __version__
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.i18n import LanguageMiddleware
from epicontrol.core.settings import Settings, get_settings
from epicontrol.web import errors, log_privacy
from epicontrol.web.csrf import CsrfProtect
from epicontrol.web.rate_limits import PublicWriteLimit, RollingWindow
from epicontrol.web.security_headers import SecurityHeaders
from epicontrol.web.workers import start_workers, stop_workers

STATIC_DIR = Path(__file__).parent / "static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work of a serving process (web/workers.py)."""
    workers = start_workers(app.state.settings, app.state.sessions)
    app.state.workers = workers
    app.state.tracing_worker = workers.get("tracing")
    try:
        yield
    finally:
        stop_workers(workers)


def _without_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry hooks off where it has them (0.165+): their per-request check
    of the providers cost ~30 us, a third of a cached public page's (bench/RESULTS.md)."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app serving the API and pages against the store named in `settings`."""
    from epicontrol.analytics.briefing_routes import router as briefing_router
    from epicontrol.analytics.routes import router as analytics_router
    from epicontrol.approvals.routes import router as approvals_router
    from epicontrol.cases.linkage.routes import router as linkage_router
    from epicontrol.cases.routes import router as cases_router
    from epicontrol.core.audit_routes import router as audit_router
    from epicontrol.core.routes import router as core_router
    from epicontrol.divisions.estate_routes import router as estates_router
    from epicontrol.divisions.routes import router as divisions_router
    from epicontrol.enterprises.routes import router as enterprises_router
    from epicontrol.exchange.routes import router as exchange_router
    from epicontrol.health_code.fast_path import RiskStatusFastPath
    from epicontrol.health_code.routes import router as passes_router
    from epicontrol.labour.routes import router as labour_router
    from epicontrol.market.routes import router as market_router
    from epicontrol.movements.checkpoint_pages import router as checkpoint_router
    from epicontrol.movements.presence_routes import router as presence_router
    from epicontrol.movements.routes import ScanFastPath
    from epicontrol.movements.routes import router as movements_router
    from epicontrol.people.routes import router as people_router
    from epicontrol.places.qr_routes import router as place_qr_router
    from epicontrol.places.routes import router as places_router
    from epicontrol.portal.article_routes import router as portal_articles_router
    from epicontrol.portal.cache import PublicPageCache
    from epicontrol.portal.clinic_routes import router as portal_clinics_router
    from epicontrol.portal.itinerary_routes import router as portal_itineraries_router
    from epicontrol.portal.qa_routes import router as portal_qa_router
    from epicontrol.portal.situation_routes import router as portal_situation_router
    from epicontrol.reports.routes import router as reports_router
    from epicontrol.supplies.routes import router as supplies_router
    from epicontrol.tasks.routes import router as tasks_router
    from epicontrol.tasks.survey_routes import router as surveys_router
    from epicontrol.tracing.routes import router as tracing_router
    from epicontrol.tracing.workbench import router as workbench_router
    from epicontrol.web import auth_routes, health, pages, plotly_static

    settings = settings or get_settings()
    app = FastAPI(
        title="epicontrol",
        version=__version__,
        description="Epidemic prevention-and-control data platform",
        lifespan=_lifespan,
        **_without_telemetry(),
    )
    engine = engine_for(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    errors.register(app)
    for router in (
        health.router,
        auth_routes.router,
        pages.router,
        core_router,
        divisions_router,
        people_router,
        places_router,
        movements_router,
        passes_router,
        checkpoint_router,
        place_qr_router,
        presence_router,
        cases_router,
        tracing_router,
        workbench_router,
        linkage_router,
        reports_router,
        tasks_router,
        surveys_router,
        estates_router,
        briefing_router,
        analytics_router,
        portal_situation_router,
        portal_clinics_router,
        portal_itineraries_router,
        portal_articles_router,
        portal_qa_router,
        supplies_router,
        audit_router,
        exchange_router,
        enterprises_router,
        labour_router,
        market_router,
        approvals_router,
        plotly_static.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Cookie-authenticated writes need this site's token (web/csrf.py); innermost, so that reads,
    # cache hits and the fast paths never reach it.
    app.add_middleware(CsrfProtect)
    # Anonymous GETs of /public and /api/public from memory for a few seconds (portal/cache.py);
    # inside the language middleware, which has chosen the language and adds its cookie.
    app.add_middleware(PublicPageCache)
    # Each request's language (zh/en) for the translated pages (core/i18n.py); innermost, so
    # that the scan and status fast paths below stay as they are.
    app.add_middleware(LanguageMiddleware)
    # Single scans skip FastAPI's router: ~30% of their server CPU (bench/RESULTS.md).
    app.add_middleware(ScanFastPath)
    # A resident's own risk status from a per-process cache (health_code/fast_path.py).
    app.add_middleware(RiskStatusFastPath)
    # Anonymous self-checks per client address (web/rate_limits.py; logins: web/auth_routes.py).
    app.add_middleware(
        PublicWriteLimit, window=RollingWindow(settings.public_writes_per_minute, 60.0)
    )
    # Outermost: every answer, fast paths and cache hits included, carries the headers.
    app.add_middleware(SecurityHeaders)
    log_privacy.install()
    return app

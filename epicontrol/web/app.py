"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from epicontrol import __version__
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.settings import Settings, get_settings
from epicontrol.web import errors

STATIC_DIR = Path(__file__).parent / "static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work of a serving process: the scheduled retention purge."""
    from epicontrol.movements.retention import start_retention_scheduler

    settings: Settings = app.state.settings
    scheduler = None
    if settings.retention_purge_interval_seconds > 0:
        scheduler = start_retention_scheduler(
            app.state.sessions,
            interval_seconds=settings.retention_purge_interval_seconds,
            window_days=settings.retention_days,
            export_dir=settings.data_dir / "export",
        )
    tracer = None
    if getattr(settings, "tracing_in_background", True):
        from epicontrol.tracing.background import rules_from, start_tracing_worker

        tracer = start_tracing_worker(
            app.state.sessions,
            poll_seconds=getattr(settings, "tracing_poll_seconds", 1.0),
            rules=rules_from(getattr(settings, "tracing_rules_file", None)),
        )
    app.state.tracing_worker = tracer
    from epicontrol.health_code.rules import load_rules
    from epicontrol.health_code.triggers import start_risk_status_sweeper

    sweeper = start_risk_status_sweeper(
        app.state.sessions,
        interval_seconds=getattr(settings, "risk_status_sweep_seconds", 60.0),
        rules=load_rules(getattr(settings, "risk_rules_file", None)),
    )
    from epicontrol.reports.monitoring_background import start_monitoring_worker

    monitor = start_monitoring_worker(
        app.state.sessions, interval_seconds=settings.monitoring_refresh_seconds
    )
    from epicontrol.reports.tips_forget import start_sender_forgetter

    forgetter = start_sender_forgetter(
        app.state.sessions, interval_seconds=settings.retention_purge_interval_seconds
    )
    from epicontrol.movements.uploads import start_upload_mover

    mover = start_upload_mover(app.state.sessions, secret=settings.secret_key)
    try:
        yield
    finally:
        mover.stop()
        if forgetter is not None:
            forgetter.stop()
        if monitor is not None:
            monitor.stop()
        if sweeper is not None:
            sweeper.stop()
        if scheduler is not None:
            scheduler.stop()
        if tracer is not None:
            tracer.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app serving the API and pages against the store named in `settings`."""
    from epicontrol.cases.linkage.routes import router as linkage_router
    from epicontrol.cases.routes import router as cases_router
    from epicontrol.core.routes import router as core_router
    from epicontrol.divisions.routes import router as divisions_router
    from epicontrol.health_code.fast_path import RiskStatusFastPath
    from epicontrol.health_code.routes import router as passes_router
    from epicontrol.movements.checkpoint_pages import router as checkpoint_router
    from epicontrol.movements.presence_routes import router as presence_router
    from epicontrol.movements.routes import ScanFastPath
    from epicontrol.movements.routes import router as movements_router
    from epicontrol.people.routes import router as people_router
    from epicontrol.places.qr_routes import router as place_qr_router
    from epicontrol.places.routes import router as places_router
    from epicontrol.reports.routes import router as reports_router
    from epicontrol.tasks.routes import router as tasks_router
    from epicontrol.tracing.routes import router as tracing_router
    from epicontrol.tracing.workbench import router as workbench_router
    from epicontrol.web import auth_routes, health, pages, plotly_static

    settings = settings or get_settings()
    app = FastAPI(
        title="epicontrol",
        version=__version__,
        description="Epidemic prevention-and-control data platform",
        lifespan=_lifespan,
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
        plotly_static.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Single scans skip FastAPI's router: ~30% of their server CPU (bench/RESULTS.md).
    app.add_middleware(ScanFastPath)
    # A resident's own risk status from a per-process cache (health_code/fast_path.py).
    app.add_middleware(RiskStatusFastPath)
    return app

"""The background threads of a serving process, each started from the deployment's settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session

from epicontrol.core.settings import Settings

Sessions = Callable[[], Session]


class Worker(Protocol):
    """A started background thread."""

    def stop(self) -> None: ...


def _retention(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.movements.retention import start_retention_scheduler

    if settings.retention_purge_interval_seconds <= 0:
        return None
    return start_retention_scheduler(
        sessions,
        interval_seconds=settings.retention_purge_interval_seconds,
        window_days=settings.retention_days,
        export_dir=settings.data_dir / "export",
    )


def _retention_registry(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.core.retention import start_retention_worker

    # Every personal table's window (core/retention.py), on the movements purge's interval.
    return start_retention_worker(sessions, settings=settings)


def _tracing(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.tracing.background import rules_from, start_tracing_worker

    if not settings.tracing_in_background:
        return None
    return start_tracing_worker(
        sessions,
        poll_seconds=settings.tracing_poll_seconds,
        rules=rules_from(settings.tracing_rules_file),
    )


def _risk_sweep(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.health_code.rules import load_rules
    from epicontrol.health_code.triggers import start_risk_status_sweeper

    # Called even when the sweep is off: it also puts the deployment's rules in force.
    return start_risk_status_sweeper(
        sessions,
        interval_seconds=settings.risk_status_sweep_seconds,
        rules=load_rules(settings.risk_rules_file),
    )


def _monitoring(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.reports.monitoring_background import start_monitoring_worker

    return start_monitoring_worker(sessions, interval_seconds=settings.monitoring_refresh_seconds)


def _sender_forgetter(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.reports.tips_forget import start_sender_forgetter

    return start_sender_forgetter(
        sessions, interval_seconds=settings.retention_purge_interval_seconds
    )


def _upload_mover(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.movements.uploads import start_upload_mover

    return start_upload_mover(sessions, secret=settings.secret_key)


def _audit_sealer(settings: Settings, sessions: Sessions) -> Worker | None:
    from epicontrol.core.audit_seal import start_audit_sealer

    if settings.audit_seal_interval_seconds <= 0:
        return None
    return start_audit_sealer(
        sessions,
        secret=settings.secret_key,
        interval_seconds=settings.audit_seal_interval_seconds,
    )


STARTERS: tuple[Callable[[Settings, Sessions], Worker | None], ...] = (
    _retention,
    _retention_registry,
    _tracing,
    _risk_sweep,
    _monitoring,
    _sender_forgetter,
    _upload_mover,
    _audit_sealer,
)


def start_workers(settings: Settings, sessions: Sessions) -> dict[str, Worker]:
    """Start every worker the settings turn on, by name."""
    started = {}
    for starter in STARTERS:
        worker = starter(settings, sessions)
        if worker is not None:
            started[starter.__name__.lstrip("_")] = worker
    return started


def stop_workers(workers: dict[str, Worker]) -> None:
    """Stop them, the last started first."""
    for worker in reversed(list(workers.values())):
        worker.stop()

"""Tracing in the background: case changes queue runs in the tracing_runs table, and a worker
thread in each serving process claims and runs them. The queue is the table, so a restart
loses nothing: queued runs, and runs whose worker died, are picked up again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from epicontrol.cases.service import CaseChange
from epicontrol.core.db import utcnow
from epicontrol.core.periodic import PeriodicWorker
from epicontrol.tracing.models import RunStatus, TracingRun
from epicontrol.tracing.rules import TracingRules, load_rules
from epicontrol.tracing.service import DEFAULT_ENGINE, trace_case

logger = logging.getLogger(__name__)

# A run "running" for longer than this lost its worker (the process died): tracing one case
# takes seconds, so ten minutes leaves a wide margin before another worker takes it over.
STALE_RUN_AFTER = timedelta(minutes=10)
DEFAULT_POLL_SECONDS = 1.0
MAX_ERROR_CHARS = 2000


def request_trace(
    db: Session, *, case_id: int, reason: str, requested_by: str = "system"
) -> TracingRun:
    """Queue a run for the case, unless one is queued already: that one will read the case
    as it is when it starts, so it covers this change too."""
    queued = db.scalar(
        select(TracingRun).where(
            TracingRun.case_id == case_id, TracingRun.status == RunStatus.QUEUED.value
        )
    )
    if queued is not None:
        return queued
    run = TracingRun(
        case_id=case_id,
        status=RunStatus.QUEUED.value,
        engine=DEFAULT_ENGINE,
        reason=reason[:80],
        requested_by=requested_by[:80],
        queued_at=utcnow(),
    )
    db.add(run)
    db.flush()
    return run


def after_case_change(db: Session, change: CaseChange, *, requested_by: str) -> TracingRun | None:
    """Queue a run if a case write changed whom the case may have exposed."""
    if not change.needs_tracing:
        return None
    return request_trace(
        db, case_id=change.case.id, reason=change.trace_reason, requested_by=requested_by
    )


def _claimable(now: datetime) -> Any:
    stale = now - STALE_RUN_AFTER
    other = aliased(TracingRun)
    # Never two live runs of one case at once: both would rewrite its contacts.
    case_busy = exists().where(
        other.case_id == TracingRun.case_id,
        other.id != TracingRun.id,
        other.status == RunStatus.RUNNING.value,
        other.started_at >= stale,
    )
    return and_(
        or_(
            TracingRun.status == RunStatus.QUEUED.value,
            and_(TracingRun.status == RunStatus.RUNNING.value, TracingRun.started_at < stale),
        ),
        ~case_busy,
    )


def claim_next(db: Session, *, now: datetime) -> int | None:
    """Mark the oldest claimable run running and commit; its id, or None if there is none.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so workers never wait on each other. SQLite
    has one writer at a time: the UPDATE repeats the condition, and a worker that finds the run
    taken meanwhile (no row updated) simply returns None.
    """
    query = select(TracingRun.id).where(_claimable(now)).order_by(TracingRun.id).limit(1)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=TracingRun)
    run_id = db.scalar(query)
    if run_id is None:
        db.rollback()
        return None
    claimed = db.connection().execute(
        update(TracingRun)
        .where(TracingRun.id == run_id, _claimable(now))
        .values(status=RunStatus.RUNNING.value, started_at=now, finished_at=None, error="")
    )
    db.commit()
    return run_id if claimed.rowcount == 1 else None


def run_claimed(
    sessions: Callable[[], Session], run_id: int, *, rules: TracingRules
) -> TracingRun | None:
    """Trace the case of a claimed run; a failure is stored on the run, never raised."""
    with sessions() as db:
        run = db.get(TracingRun, run_id)
        if run is None:
            return None
        try:
            trace_case(db, run.case_id, now=utcnow(), run=run, rules=rules, engine_name=run.engine)
            db.commit()
            return run
        except Exception as error:  # the run records why; the worker goes on with the next
            db.rollback()
            logger.exception("tracing run %s of case %s failed", run_id, run.case_id)
            message = (getattr(error, "message", None) or f"{type(error).__name__}: {error}")[
                :MAX_ERROR_CHARS
            ]
            db.execute(
                update(TracingRun)
                .where(TracingRun.id == run_id)
                .values(status=RunStatus.FAILED.value, finished_at=utcnow(), error=message)
            )
            db.commit()
            db.refresh(run)
            return run


def run_once(
    sessions: Callable[[], Session], *, rules: TracingRules | None = None
) -> TracingRun | None:
    """Claim and run the oldest waiting run; None when there is none."""
    with sessions() as db:
        run_id = claim_next(db, now=utcnow())
    if run_id is None:
        return None
    return run_claimed(sessions, run_id, rules=rules or load_rules(None))


class TracingWorker(PeriodicWorker):
    """A daemon thread that runs queued tracing runs one after another, then polls."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        rules: TracingRules | None = None,
    ) -> None:
        super().__init__(
            name="epicontrol-tracing", interval_seconds=poll_seconds, stop_timeout=30.0
        )
        self.poll_seconds = poll_seconds
        self.rules = rules or load_rules(None)
        self.runs = 0
        self._sessions = sessions

    def tick(self) -> float | None:
        """Run the oldest queued run; at once again after one, else at the next poll."""
        try:
            ran = run_once(self._sessions, rules=self.rules)
        except Exception:  # the database went away, say: try again at the next poll
            logger.exception("tracing worker could not claim a run")
            return None
        if ran is None:
            return None
        self.runs += 1
        return 0


@lru_cache(maxsize=8)
def rules_from(path: Path | None) -> TracingRules:
    """The deployment's tracing rules (settings: a file, or the defaults), read once."""
    return load_rules(path)


def start_tracing_worker(
    sessions: Callable[[], Session],
    *,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    rules: TracingRules | None = None,
) -> TracingWorker:
    """Start a worker with sessions from `sessions` (app.state.sessions); call `.stop()` on
    the handle at shutdown. Safe in every worker process of a multi-process server."""
    return TracingWorker(sessions, poll_seconds=poll_seconds, rules=rules).start()

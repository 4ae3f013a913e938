"""The serving process refreshes daily monitoring in a worker thread: observations from new
contacts and arrivals, a first home visit for each, follow-up calls for non-reporters, then
deliveries to households in home quarantine.

Why in the background and not on page load: a page that writes would make a GET slow and
racy (two officers loading at once would both generate), and the arrivals query scans a day of
movements, too much for every view. States themselves need no refresh: they are computed at
read time from `now`, so "not reporting" appears the minute 24 hours pass. Officers can still
run both steps at once with the buttons of the monitoring page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.core.periodic import PeriodicWorker
from epicontrol.divisions.models import Division
from epicontrol.reports.monitoring import SYSTEM_ACTOR, sync_observations
from epicontrol.reports.monitoring_tasks import (
    tasks_for_deliveries,
    tasks_for_new_observations,
    tasks_for_non_reporters,
)

logger = logging.getLogger(__name__)


def refresh(db: Session, *, now: datetime) -> None:
    """One pass over every top-level division (the caller commits)."""
    roots = db.scalars(select(Division).where(Division.parent_id.is_(None))).all()
    for root in roots:
        sync_observations(db, division=root, day=local_date(now), now=now)
        tasks_for_new_observations(db, division=root, now=now, created_by=SYSTEM_ACTOR)
        tasks_for_non_reporters(db, division=root, now=now, created_by=SYSTEM_ACTOR)
        tasks_for_deliveries(db, division=root, now=now, created_by=SYSTEM_ACTOR)


class MonitoringWorker(PeriodicWorker):
    """A daemon thread running `refresh` every `interval_seconds`; the first pass comes one
    interval after start, so starting a process (or a test app) does no work at once."""

    def __init__(self, sessions: Callable[[], Session], *, interval_seconds: float) -> None:
        super().__init__(
            name="monitoring", interval_seconds=interval_seconds, first_pass_at_start=False
        )
        self._sessions = sessions

    def tick(self) -> None:
        try:
            with self._sessions() as db:
                refresh(db, now=utcnow())
                db.commit()
        except Exception:  # one failed pass must not end the worker; the next one retries
            logger.exception("daily monitoring refresh failed")


def start_monitoring_worker(
    sessions: Callable[[], Session], *, interval_seconds: float
) -> MonitoringWorker | None:
    """The started worker, or None when the interval is 0 (turned off)."""
    if interval_seconds <= 0:
        return None
    return MonitoringWorker(sessions, interval_seconds=interval_seconds).start()

"""The serving process's monitoring worker: observations and tasks appear without a click."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import engine_for, session_factory
from epicontrol.reports.monitoring_background import refresh, start_monitoring_worker
from epicontrol.reports.monitoring_models import Observation
from epicontrol.tasks.models import GridTask
from tests.factories import City
from tests.tasks.monitoring_fixtures import add_contact


def _count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_refresh_opens_observations_and_visits_once(db: Session, city: City) -> None:
    now = datetime.now(UTC)
    add_contact(db, city, "wang_father", last_exposure_at=now - timedelta(days=1), found_at=now)
    db.commit()

    refresh(db, now=now)
    refresh(db, now=now + timedelta(minutes=15))
    db.commit()

    assert _count(db, Observation) == 1
    # A first home visit, and a delivery: a close contact is quarantined at home.
    tasks = db.scalars(select(GridTask).order_by(GridTask.kind))
    assert [(t.kind, t.created_by) for t in tasks] == [
        ("delivery", "system:monitoring"),
        ("door_to_door_visit", "system:monitoring"),
    ]


def test_worker_runs_in_the_background_and_stops(db_url: str, db: Session, city: City) -> None:
    now = datetime.now(UTC)
    add_contact(db, city, "neighbour", last_exposure_at=now - timedelta(days=1), found_at=now)
    db.commit()
    assert start_monitoring_worker(session_factory(engine_for(db_url)), interval_seconds=0) is None

    worker = start_monitoring_worker(session_factory(engine_for(db_url)), interval_seconds=0.05)
    assert worker is not None
    try:
        deadline = time.monotonic() + 10
        while _count(db, Observation) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert _count(db, Observation) == 1

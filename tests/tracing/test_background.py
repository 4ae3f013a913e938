"""Tracing in the background: a confirmed case gets its contacts within seconds, queued runs
survive a restart, a dead worker's run is taken over, a failure is recorded on the run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.core.settings import Settings
from epicontrol.tracing import background
from epicontrol.tracing.models import TracingRun
from epicontrol.web.app import create_app
from tests.factories import City
from tests.tracing.store_scenario import EXPECTED, bearer, build, case_of, described

DEADLINE_SECONDS = 15.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The worker on, polling often (whatever the suite's defaults become)."""
    return settings.model_copy(update={"tracing_in_background": True, "tracing_poll_seconds": 0.2})


@pytest.fixture
def sessions(db_url: str) -> Callable[[], Session]:
    """Sessions as a serving process makes them."""
    return session_factory(engine_for(db_url))


def _wait_for_run(db: Session, case_id: int, status: str = "done") -> TracingRun:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        db.expire_all()
        runs = db.scalars(select(TracingRun).where(TracingRun.case_id == case_id)).all()
        if runs and all(r.status in ("done", "failed") for r in runs):
            assert {r.status for r in runs} == {status}, [r.error for r in runs]
            return runs[-1]
        time.sleep(0.1)
    raise AssertionError(f"no finished run of case {case_id} within {DEADLINE_SECONDS} s")


def test_confirming_a_case_through_the_api_yields_its_contacts_within_seconds(
    client: TestClient, city: City, db: Session
) -> None:
    scenario = build(db, city, status="suspected")
    started = time.monotonic()
    response = client.post(
        f"/api/cases/{scenario.case_id}/status",
        json={"status": "confirmed"},
        headers=bearer(db, "epidemiologist"),
    )
    assert response.status_code == 200, response.text
    run = _wait_for_run(db, scenario.case_id)
    assert time.monotonic() - started < 10
    assert run.contacts_found == len(EXPECTED)
    assert run.reason == "suspected -> confirmed"
    assert described(db, city, scenario, scenario.case_id) == EXPECTED


def test_a_queued_run_is_picked_up_after_a_restart(
    settings: Settings, city: City, db: Session
) -> None:
    scenario = build(db, city)
    # Queued while the server was down (or just before it stopped): only the table knows.
    background.request_trace(db, case_id=scenario.case_id, reason="before restart")
    db.commit()
    with TestClient(create_app(settings)):
        run = _wait_for_run(db, scenario.case_id)
    assert run.reason == "before restart"
    assert described(db, city, scenario, scenario.case_id) == EXPECTED


def test_a_run_whose_worker_died_is_taken_over_but_a_live_one_is_not(
    city: City, db: Session, sessions: Callable[[], Session]
) -> None:
    scenario = build(db, city)
    run = TracingRun(
        case_id=scenario.case_id,
        status="running",
        reason="worker died",
        queued_at=utcnow() - timedelta(hours=1),
        started_at=utcnow(),
    )
    db.add(run)
    db.commit()
    assert background.run_once(sessions) is None, "a run in progress is left alone"
    run.started_at = utcnow() - background.STALE_RUN_AFTER - timedelta(minutes=1)
    db.commit()
    finished = background.run_once(sessions)
    assert finished is not None and finished.id == run.id
    assert finished.status == "done"
    assert background.run_once(sessions) is None


def test_a_failing_run_records_why(
    city: City, db: Session, sessions: Callable[[], Session]
) -> None:
    scenario = build(db, city)
    case = case_of(db, scenario.case_id)
    case.onset_date = None
    background.request_trace(db, case_id=case.id, reason="test")
    db.commit()
    failed = background.run_once(sessions)
    assert failed is not None
    assert failed.status == "failed"
    assert "neither onset nor sampling date" in failed.error
    assert failed.finished_at is not None


def test_one_queued_run_per_case(city: City, db: Session) -> None:
    scenario = build(db, city)
    first = background.request_trace(db, case_id=scenario.case_id, reason="one")
    second = background.request_trace(db, case_id=scenario.case_id, reason="two")
    assert first.id == second.id

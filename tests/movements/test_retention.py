"""Retention: the purge deletes only expired days (with their alerts), audits it, and runs on a
schedule."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.core import audit
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.errors import InvalidInput
from epicontrol.core.settings import get_settings
from epicontrol.movements.export import export_closed_days, partition_dir
from epicontrol.movements.models import Movement, TemperatureAlert
from epicontrol.movements.retention import (
    PURGE_LOCK_KEY,
    RetentionScheduler,
    plan_purge,
    purge,
    start_retention_scheduler,
)
from tests.factories import City
from tests.movements.test_export import add_movements, gate_id

NOW = datetime.now(UTC)
WINDOW = 28
CUTOFF = NOW.date() - timedelta(days=WINDOW)  # the oldest day kept


@pytest.fixture
def expired_and_kept(db: Session, city: City) -> dict[date, int]:
    """Movements on two expired days, the oldest kept day and today, one alert per day."""
    counts = {
        CUTOFF - timedelta(days=2): 3,
        CUTOFF - timedelta(days=1): 4,
        CUTOFF: 2,
        NOW.date(): 1,
    }
    resident = city.residents["wang_father"]
    for day, count in counts.items():
        add_movements(db, place_id=gate_id(db), resident_id=resident, day=day, count=count)
        first = db.scalar(select(func.min(Movement.id)).where(Movement.day == day))
        db.add(
            TemperatureAlert(
                movement_id=first,
                place_id=gate_id(db),
                division_id=city.divisions["m1"],
                resident_id=resident,
                temperature=38.1,
            )
        )
    db.commit()
    return counts


def _days_left(db: Session) -> dict[date, int]:
    db.expire_all()
    query = select(Movement.day, func.count()).group_by(Movement.day)
    return {day: count for day, count in db.execute(query)}


def _alerts_left(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(TemperatureAlert)) or 0


def test_purge_removes_only_days_before_the_window_and_their_alerts(
    db: Session, db_url: str, expired_and_kept: dict[date, int]
) -> None:
    with session_factory(engine_for(db_url))() as session:
        plan = plan_purge(session, older_than_days=WINDOW, now=NOW)
        summary = purge(session, older_than_days=WINDOW, now=NOW, actor=None, chunk_rows=2)
    assert (plan.cutoff, plan.movements, plan.alerts) == (CUTOFF, 7, 2)
    assert (summary.cutoff, summary.movements, summary.alerts) == (CUTOFF, 7, 2)
    assert summary.is_complete
    assert _days_left(db) == {CUTOFF: 2, NOW.date(): 1}
    assert _alerts_left(db) == 2
    [entry] = audit.entries(db, entity="movement")
    assert (entry.action, entry.actor, entry.outcome) == ("purge", "anonymous", "allowed")
    assert f'"cutoff": "{CUTOFF.isoformat()}"' in entry.detail
    assert '"movements": 7' in entry.detail and '"temperature_alerts": 2' in entry.detail


def test_second_purge_deletes_nothing_and_audits_nothing(
    db: Session, db_url: str, expired_and_kept: dict[date, int]
) -> None:
    with session_factory(engine_for(db_url))() as session:
        purge(session, now=NOW, actor=None)
        again = purge(session, now=NOW, actor=None)
    assert (again.movements, again.alerts) == (0, 0)
    assert len(audit.entries(db, entity="movement")) == 1


@pytest.mark.parametrize("window", [0, -3])
def test_purge_refuses_a_window_shorter_than_a_day(
    db: Session, expired_and_kept: dict[date, int], window: int
) -> None:
    with pytest.raises(InvalidInput, match="at least 1 day"):
        purge(db, older_than_days=window, now=NOW, actor=None)
    assert sum(_days_left(db).values()) == 10


def test_purge_removes_expired_exported_partitions(
    db: Session, db_url: str, expired_and_kept: dict[date, int], tmp_path: Path
) -> None:
    export_closed_days(engine_for(db_url), tmp_path)
    with session_factory(engine_for(db_url))() as session:
        summary = purge(session, now=NOW, actor=None, export_dir=tmp_path)
    assert summary.partitions == (CUTOFF - timedelta(days=2), CUTOFF - timedelta(days=1))
    assert not partition_dir(tmp_path, CUTOFF - timedelta(days=1)).exists()
    assert partition_dir(tmp_path, CUTOFF).exists()


def test_purge_stopped_between_chunks_is_finished_by_the_next_run(
    db: Session, db_url: str, expired_and_kept: dict[date, int]
) -> None:
    calls = iter([False, True])
    with session_factory(engine_for(db_url))() as session:
        first = purge(session, now=NOW, actor=None, chunk_rows=3, should_stop=lambda: next(calls))
        rest = purge(session, now=NOW, actor=None, chunk_rows=3)
    assert (first.movements, first.is_complete) == (3, False)
    assert (rest.movements, rest.is_complete) == (4, True)
    assert _days_left(db) == {CUTOFF: 2, NOW.date(): 1}


def test_scheduler_purges_at_start_and_stops(
    db: Session, db_url: str, expired_and_kept: dict[date, int]
) -> None:
    scheduler = start_retention_scheduler(
        session_factory(engine_for(db_url)), interval_seconds=0.05, window_days=WINDOW
    )
    try:
        deadline = time.monotonic() + 10
        while scheduler.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop(timeout=10)
    assert not scheduler.is_running
    assert scheduler.runs >= 2 and scheduler.last_error is None
    assert _days_left(db) == {CUTOFF: 2, NOW.date(): 1}
    assert len(audit.entries(db, entity="movement")) == 1


def test_scheduler_refuses_a_bad_window(db_url: str) -> None:
    with pytest.raises(InvalidInput):
        start_retention_scheduler(
            session_factory(engine_for(db_url)), interval_seconds=60, window_days=0
        )


def test_only_one_postgresql_worker_purges_at_a_time(
    db: Session, db_url: str, expired_and_kept: dict[date, int]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers itself")
    scheduler = RetentionScheduler(
        session_factory(engine_for(db_url)), interval_seconds=60, window_days=WINDOW
    )
    with engine_for(db_url).connect() as other_worker:
        other_worker.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PURGE_LOCK_KEY})
        assert scheduler.run_once() is None
        other_worker.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK_KEY})
    summary = scheduler.run_once()
    assert summary is not None and summary.movements == 7


def test_purge_command_asks_before_deleting(
    db: Session,
    db_url: str,
    expired_and_kept: dict[date, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from epicontrol.movements.data_cli import purge_command

    app = typer.Typer()
    app.command("purge")(purge_command)
    app.command("unused")(lambda: None)
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", db_url)
    monkeypatch.setenv("EPICONTROL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        declined = CliRunner().invoke(app, ["purge"], input="n\n")
        assert declined.exit_code == 1
        assert "Delete 7 movement records and 2 temperature alerts" in declined.output
        assert sum(_days_left(db).values()) == 10
        done = CliRunner().invoke(app, ["purge", "--yes"])
        assert done.exit_code == 0, done.output
        assert "deleted 7 movement records and 2 temperature alerts" in done.output
        assert _days_left(db) == {CUTOFF: 2, NOW.date(): 1}
        refused = CliRunner().invoke(app, ["purge", "--older-than-days", "0", "--yes"])
        assert refused.exit_code == 2 and "at least 1 day" in refused.output
    finally:
        get_settings.cache_clear()

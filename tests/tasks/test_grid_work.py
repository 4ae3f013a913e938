"""Grid work for issue 6: deliveries to households in home quarantine every few days, and
officers' overdue tracking per grid; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.core.models import User
from epicontrol.divisions.models import Division
from epicontrol.reports.monitoring_background import refresh
from epicontrol.reports.monitoring_models import ObservationReason
from epicontrol.reports.monitoring_rules import DELIVERY_EVERY, DELIVERY_WITHIN
from epicontrol.reports.monitoring_tasks import tasks_for_deliveries
from epicontrol.tasks.models import GridTask, TaskKind, TaskStatus
from epicontrol.tasks.service import NewTask, create, create_many
from tests.factories import City
from tests.tasks.monitoring_fixtures import NOW, login, observe

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def _deliveries(db: Session) -> list[GridTask]:
    db.expire_all()
    query = select(GridTask).where(GridTask.kind == TaskKind.DELIVERY.value).order_by(GridTask.id)
    return list(db.scalars(query))


def test_a_quarantined_household_gets_one_delivery_every_few_days_while_it_lasts(
    db: Session, city: City
) -> None:
    father = observe(db, city, "wang_father", since=NOW - 2 * HOUR, days=7)
    mother = observe(db, city, "wang_mother", since=NOW - 2 * HOUR, days=7)
    observe(db, city, "neighbour", since=NOW, reason=ObservationReason.SECONDARY_CONTACT)
    closed = observe(db, city, "m3_resident", since=NOW - DAY, grid="g4")
    closed.closed_at = NOW - HOUR
    observe(db, city, "m2_resident", since=NOW - 20 * DAY, grid="g3")  # ended days ago
    db.commit()
    root = db.get_one(Division, city.divisions["city"])

    def run(at: datetime) -> int:
        made = tasks_for_deliveries(db, division=root, now=at, created_by="system")
        db.commit()
        return made

    assert DELIVERY_EVERY == 3 * DAY
    assert [run(NOW + n * DAY) for n in range(8)] == [1, 0, 0, 1, 0, 0, 1, 0]
    assert run(NOW) == 0  # the same day again
    tasks = _deliveries(db)
    worker = db.scalars(select(User.id).where(User.username == "gridworker_g1")).one()
    assert {(t.household_id, t.division_id, t.assignee_user_id) for t in tasks} == {
        (city.households["h1"], city.divisions["g1"], worker)
    }
    assert tasks[0].resident_id == min(father.resident_id, mother.resident_id)
    assert tasks[0].due_at == NOW + DELIVERY_WITHIN and "2 人" in tasks[0].title
    days = [local_date(NOW + n * DAY).isoformat() for n in (0, 3, 6)]
    assert [t.source_ref for t in tasks] == [f"delivery:{city.households['h1']}:{d}" for d in days]

    father.closed_at = mother.closed_at = NOW + 7 * DAY
    db.commit()
    assert run(NOW + 9 * DAY) == 0  # quarantine over: no more deliveries


def test_deliveries_stay_in_the_division_asked_for(db: Session, city: City) -> None:
    observe(db, city, "wang_father", since=NOW - HOUR)
    observe(db, city, "m3_resident", since=NOW - HOUR, grid="g4")
    db.commit()
    m3 = db.get_one(Division, city.divisions["m3"])
    assert tasks_for_deliveries(db, division=m3, now=NOW, created_by="officer_m3") == 1
    db.commit()
    assert [t.household_id for t in _deliveries(db)] == [city.households["h4"]]


def test_the_background_run_and_the_officers_button_make_deliveries(
    client: TestClient, db: Session, city: City
) -> None:
    now = datetime.now(UTC)
    observe(db, city, "wang_father", since=now - 2 * HOUR)
    db.commit()
    refresh(db, now=now)
    db.commit()
    assert len(_deliveries(db)) == 1
    officer = login(client, "officer_m1")
    url = "/api/monitoring/delivery-tasks"
    assert client.post(url, headers=officer).json()["tasks_created"] == 0  # made this morning
    observe(db, city, "neighbour", since=now - HOUR)
    db.commit()
    assert client.post(url, headers=officer).json()["tasks_created"] == 1
    assert client.post(url, headers=login(client, "gridworker_g1")).status_code == 403
    assert len(_deliveries(db)) == 2


def _task(
    db: Session,
    city: City,
    grid: str,
    due_in: timedelta,
    status: TaskStatus = TaskStatus.OPEN,
    completed_at: datetime | None = None,
) -> GridTask:
    now = datetime.now(UTC)
    task = create(
        db,
        task=NewTask(
            kind=TaskKind.DOOR_TO_DOOR_VISIT,
            division_id=city.divisions[grid],
            title="上门 Visit",
            due_at=now + due_in,
        ),
        created_by="officer",
        now=now,
    )
    assert task is not None
    task.status = status.value
    task.completed_at = completed_at
    db.commit()
    return task


def test_officers_see_open_overdue_and_done_today_per_grid_overdue_first(
    client: TestClient, db: Session, city: City
) -> None:
    now = datetime.now(UTC)
    midnight = datetime.combine(local_date(now), time(0), LOCAL_TIME)
    _task(db, city, "g3", 2 * HOUR)
    _task(db, city, "g4", -HOUR, TaskStatus.DONE, completed_at=max(midnight, now - HOUR))
    _task(db, city, "g1", -5 * HOUR)
    _task(db, city, "g1", -HOUR)
    _task(db, city, "g1", 3 * HOUR)
    _task(db, city, "g1", -DAY, TaskStatus.DONE, completed_at=max(midnight, now - 2 * HOUR))
    _task(db, city, "g1", -2 * DAY, TaskStatus.DONE, completed_at=midnight - HOUR)  # yesterday
    _task(db, city, "g1", -2 * DAY, TaskStatus.CANCELLED, completed_at=now)
    _task(db, city, "g2", -2 * DAY, TaskStatus.CANCELLED, completed_at=now)  # nothing to show

    answer = client.get("/api/tasks/by-grid", headers=login(client, "commander"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = [
        (g["division_id"], g["open"], g["overdue"], g["done_today"], g["grid_worker"])
        for g in body["grids"]
    ]
    assert rows == [
        (city.divisions["g1"], 3, 2, 1, "gridworker_g1"),
        (city.divisions["g3"], 1, 0, 0, None),
        (city.divisions["g4"], 0, 0, 1, None),
    ]
    assert (body["open"], body["overdue"], body["done_today"]) == (4, 2, 2)
    g1 = body["grids"][0]
    assert 4.9 <= g1["oldest_overdue_hours"] <= 5.1 and g1["parent_name"] == "测试m1"
    assert body["grids"][1]["oldest_overdue_hours"] is None

    officer = client.get("/api/tasks/by-grid", headers=login(client, "officer_m1")).json()
    assert [g["division_id"] for g in officer["grids"]] == [city.divisions["g1"]]
    worker = client.get("/api/tasks/by-grid", headers=login(client, "gridworker_g1")).json()
    assert [g["division_id"] for g in worker["grids"]] == [city.divisions["g1"]]
    assert (
        client.get("/api/tasks/by-grid", headers=login(client, "resident_wang")).status_code == 403
    )

    page = client.get("/tasks", headers=login(client, "commander")).text
    assert 'id="by-grid"' in page
    assert f'data-grid="{city.divisions["g1"]}" data-overdue="2" class="late"' in page
    assert page.index(f'data-grid="{city.divisions["g1"]}"') < page.index(
        f'data-grid="{city.divisions["g4"]}"'
    )
    assert 'id="by-grid"' not in client.get("/tasks", headers=login(client, "gridworker_g1")).text


def test_generated_tasks_are_stored_together_once_each(db: Session, city: City) -> None:
    def visit(ref: str | None, grid: str = "g1") -> NewTask:
        return NewTask(
            kind=TaskKind.DOOR_TO_DOOR_VISIT,
            division_id=city.divisions[grid],
            title="上门 Visit",
            due_at=NOW + HOUR,
            source_ref=ref,
        )

    assert create_many(db, tasks=[visit("a"), visit("b", "g4")], created_by="x", now=NOW) == 2
    assert create_many(db, tasks=[visit("a"), visit("c")], created_by="x", now=NOW) == 1
    with pytest.raises(ValueError, match="source_ref"):
        create_many(db, tasks=[visit(None)], created_by="x", now=NOW)
    db.commit()
    worker = db.scalars(select(User.id).where(User.username == "gridworker_g1")).one()
    stored = db.execute(select(GridTask.source_ref, GridTask.assignee_user_id)).all()
    assert sorted(stored) == [("a", worker), ("b", None), ("c", worker)]

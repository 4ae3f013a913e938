"""Grid-worker tasks: non-reporters become one follow-up call each, grid workers complete
their tasks with notes and see only their grid's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry, User
from epicontrol.divisions.models import Division
from epicontrol.reports.monitoring_models import ObservationReason
from epicontrol.reports.monitoring_tasks import tasks_for_new_observations, tasks_for_non_reporters
from epicontrol.tasks.models import GridTask, TaskKind
from epicontrol.tasks.service import NewTask, create
from tests.factories import City
from tests.tasks.monitoring_fixtures import NOW, login, observe, report

HOUR = timedelta(hours=1)


def _tasks(db: Session) -> list[GridTask]:
    db.expire_all()
    return list(db.scalars(select(GridTask).order_by(GridTask.id)))


def test_a_non_reporter_becomes_exactly_one_follow_up_call_however_often_it_runs(
    db: Session, city: City
) -> None:
    observe(db, city, "wang_father", since=NOW - 30 * HOUR)  # never reported: not reporting
    observe(db, city, "neighbour", since=NOW - 30 * HOUR)
    report(db, city, "neighbour", at=NOW - 2 * HOUR)  # reporting
    observe(db, city, "m3_resident", since=NOW - 30 * HOUR, grid="g4")  # a grid without worker
    db.commit()
    root = db.get_one(Division, city.divisions["city"])

    first = tasks_for_non_reporters(db, division=root, now=NOW, created_by="officer")
    second = tasks_for_non_reporters(db, division=root, now=NOW + HOUR, created_by="officer")
    db.commit()

    assert (first.non_reporters, first.tasks_created) == (2, 2)
    assert (second.non_reporters, second.tasks_created) == (2, 0)
    tasks = _tasks(db)
    assert [(t.resident_id, t.kind) for t in tasks] == [
        (city.residents["wang_father"], TaskKind.FOLLOW_UP_CALL.value),
        (city.residents["m3_resident"], TaskKind.FOLLOW_UP_CALL.value),
    ]
    worker = db.scalars(select(User.id).where(User.username == "gridworker_g1")).one()
    assert tasks[0].division_id == city.divisions["g1"] and tasks[0].assignee_user_id == worker
    assert tasks[0].household_id == city.households["h1"]
    assert tasks[0].due_at == NOW + 4 * HOUR
    assert tasks[1].assignee_user_id is None  # g4 has no grid worker yet


def test_officer_button_generates_tasks_once(client: TestClient, db: Session, city: City) -> None:
    observe(db, city, "wang_father", since=datetime.now(UTC) - 30 * HOUR)
    db.commit()
    officer = login(client, "officer_m1")
    url = "/api/monitoring/non-reporter-tasks"

    assert client.post(url, headers=officer).json()["tasks_created"] == 1
    assert client.post(url, headers=officer).json()["tasks_created"] == 0
    assert client.post(url, headers=login(client, "gridworker_g1")).status_code == 403
    page = client.post(
        "/monitoring/refresh",
        data={"division_id": city.divisions["m1"]},
        headers=officer,
        follow_redirects=False,
    )
    assert page.status_code == 303
    # The refresh adds the first home visit of the observation and a delivery to the quarantined
    # household; the call is not repeated.
    kinds = sorted(t.kind for t in _tasks(db))
    assert kinds == ["delivery", "door_to_door_visit", "follow_up_call"]


def _task(db: Session, city: City, grid: str, resident: str, due_in: timedelta) -> int:
    task = create(
        db,
        task=NewTask(
            kind=TaskKind.DOOR_TO_DOOR_VISIT,
            division_id=city.divisions[grid],
            resident_id=city.residents[resident],
            title="上门测温 Visit and take temperature",
            due_at=datetime.now(UTC) + due_in,
        ),
        created_by="officer_m1",
        now=datetime.now(UTC),
    )
    assert task is not None
    db.commit()
    return task.id


def test_grid_worker_completes_a_task_with_notes(
    client: TestClient, db: Session, city: City
) -> None:
    task_id = _task(db, city, "g1", "wang_father", -HOUR)
    worker = login(client, "gridworker_g1")

    listed = client.get("/api/tasks?mine=true", headers=worker).json()
    assert [t["id"] for t in listed["tasks"]] == [task_id]
    assert listed["overdue"] == 1 and listed["tasks"][0]["is_overdue"] is True
    assert "*" in listed["tasks"][0]["name_masked"]
    url = f"/api/tasks/{task_id}/complete"
    assert client.post(url, json={"notes": ""}, headers=worker).status_code == 422
    assert _tasks(db)[0].status == "open"
    done = client.post(url, json={"notes": "体温36.5，居家 36.5 °C, at home"}, headers=worker)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["is_overdue"] is False
    assert client.post(url, json={"notes": "again"}, headers=worker).status_code == 409

    [task] = _tasks(db)
    assert task.completion_notes == "体温36.5，居家 36.5 °C, at home"
    assert task.completed_by == "gridworker_g1"
    assert (
        db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "grid_task", AuditEntry.action == "complete")
        )
        == 1
    )
    assert client.get("/api/tasks", headers=worker).json()["tasks"] == []


def test_grid_worker_cannot_see_or_work_another_grids_tasks(
    client: TestClient, db: Session, city: City
) -> None:
    own = _task(db, city, "g1", "neighbour", HOUR)
    other = _task(db, city, "g3", "m2_resident", HOUR)
    worker = login(client, "gridworker_g1")

    assert [t["id"] for t in client.get("/api/tasks", headers=worker).json()["tasks"]] == [own]
    assert client.get(f"/api/tasks/{other}", headers=worker).status_code == 403
    blocked = client.post(f"/api/tasks/{other}/complete", json={"notes": "x"}, headers=worker)
    assert blocked.status_code == 403
    assert (
        client.post(f"/api/tasks/{own}/cancel", json={"reason": "x"}, headers=worker).status_code
        == 403
    )
    officer = client.get("/api/tasks", headers=login(client, "officer_m1")).json()
    assert [t["id"] for t in officer["tasks"]] == [own]  # g3 lies in m2
    commander = client.get("/api/tasks", headers=login(client, "commander")).json()
    assert sorted(t["id"] for t in commander["tasks"]) == sorted([own, other])
    assert client.get("/api/tasks", headers=login(client, "resident_wang")).status_code == 403
    assert _tasks(db)[1].status == "open"


def test_task_page_highlights_overdue_and_completes_in_place(
    client: TestClient, db: Session, city: City
) -> None:
    late = _task(db, city, "g1", "wang_father", -2 * HOUR)
    soon = _task(db, city, "g1", "neighbour", 3 * HOUR)
    worker = login(client, "gridworker_g1")

    page = client.get("/tasks", headers=worker)
    assert page.status_code == 200
    assert f'class="task open overdue" id="task-{late}"' in page.text
    assert f'class="task open" id="task-{soon}"' in page.text
    assert 'name="viewport"' in page.text
    fragment = client.post(
        f"/tasks/{late}/complete",
        data={"notes": "已上门 visited"},
        headers={**worker, "HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("{#") is False
    assert f'id="task-{late}" data-task="{late}" data-status="done"' in fragment.text
    assert "<html" not in fragment.text and "已上门 visited" in fragment.text


def test_each_new_observation_gets_one_first_home_visit(db: Session, city: City) -> None:
    arrival = observe(
        db, city, "wang_father", since=NOW - 2 * HOUR, reason=ObservationReason.RISK_AREA_ARRIVAL
    )
    observe(db, city, "neighbour", since=NOW - 2 * HOUR)
    ended = observe(db, city, "wang_mother", since=NOW - timedelta(days=20))
    db.commit()
    root = db.get_one(Division, city.divisions["city"])

    assert tasks_for_new_observations(db, division=root, now=NOW, created_by="system") == 2
    assert tasks_for_new_observations(db, division=root, now=NOW + HOUR, created_by="x") == 0
    db.commit()

    tasks = _tasks(db)
    assert {t.kind for t in tasks} == {"door_to_door_visit"}
    assert ended.resident_id not in {t.resident_id for t in tasks}
    [visit] = [t for t in tasks if t.source_ref == f"observation_visit:{arrival.id}"]
    assert visit.due_at == NOW - 2 * HOUR + 24 * HOUR
    assert "风险地区" in visit.title


def test_officer_gives_a_grid_a_delivery_task(client: TestClient, db: Session, city: City) -> None:
    officer = login(client, "officer_m1")
    body = {
        "kind": "delivery",
        "division_id": city.divisions["g1"],
        "household_id": city.households["h1"],
        "title": "送菜上门 Deliver groceries",
        "due_at": (datetime.now(UTC) + 6 * HOUR).isoformat(),
    }
    made = client.post("/api/tasks", json=body, headers=officer)
    assert made.status_code == 201, made.text
    assert made.json()["assignee"] == "gridworker_g1" and made.json()["kind"] == "delivery"

    refused = [
        ({**body, "division_id": city.divisions["m1"]}, officer, 422),  # not a grid
        ({**body, "household_id": city.households["h3"]}, officer, 422),  # lives in g3
        ({**body, "due_at": "2020-02-10T10:00:00"}, officer, 422),  # no time zone
        ({**body, "kind": "party"}, officer, 422),
        ({**body, "division_id": city.divisions["g4"]}, officer, 403),  # outside m1
        (body, login(client, "gridworker_g1"), 403),
    ]
    for bad, headers, status in refused:
        response = client.post("/api/tasks", json=bad, headers=headers)
        assert response.status_code == status, (bad, response.text)
    assert len(_tasks(db)) == 1

"""Non-reporters become follow-up-call tasks for the grid worker of their grid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from epicontrol.cases.service import local_today
from epicontrol.divisions.models import Division
from epicontrol.reports.monitoring_models import MonitoringState
from epicontrol.reports.monitoring_rules import FOLLOW_UP_CALL_WITHIN, NOT_REPORTING_AFTER
from epicontrol.reports.monitoring_schemas import TasksGeneratedOut
from epicontrol.reports.monitoring_states import people_in
from epicontrol.tasks import service as tasks
from epicontrol.tasks.models import TaskKind

HOURS = int(NOT_REPORTING_AFTER.total_seconds() // 3600)


def source_ref(resident_id: int, now: datetime) -> str:
    """One call per non-reporter per local day: a second run that day finds the first task;
    someone still silent tomorrow gets a new call."""
    return f"not_reporting:{resident_id}:{local_today(now).isoformat()}"


def tasks_for_non_reporters(
    db: Session, *, division: Division, now: datetime, created_by: str
) -> TasksGeneratedOut:
    """A follow-up-call task, due within FOLLOW_UP_CALL_WITHIN, for every person in the
    subtree who is not reporting; each person gets one a day however often this runs."""
    silent = [
        p
        for p in people_in(db, division=division, now=now)
        if p.state == MonitoringState.NOT_REPORTING
    ]
    created = 0
    for person in silent:
        task = tasks.create(
            db,
            task=tasks.NewTask(
                kind=TaskKind.FOLLOW_UP_CALL,
                division_id=person.division_id,
                resident_id=person.resident_id,
                household_id=person.household_id,
                title=f"未按时报告健康状况 No daily health report for over {HOURS} h: call",
                due_at=now + FOLLOW_UP_CALL_WITHIN,
                source_ref=source_ref(person.resident_id, now),
            ),
            created_by=created_by,
            now=now,
        )
        created += task is not None
    return TasksGeneratedOut(
        division_id=division.id, non_reporters=len(silent), tasks_created=created
    )

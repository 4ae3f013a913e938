"""Grid-worker tasks from daily monitoring: a first home visit for everyone newly under
observation, a follow-up call for each non-reporter, and deliveries to households in home
quarantine."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import in_chunks
from epicontrol.core.local_time import local_date
from epicontrol.divisions.models import Division
from epicontrol.people.models import Household, Resident
from epicontrol.reports.monitoring_models import MonitoringState, Observation
from epicontrol.reports.monitoring_rules import (
    DELIVERY_EVERY,
    DELIVERY_REASONS,
    DELIVERY_WITHIN,
    FIRST_VISIT_WITHIN,
    FOLLOW_UP_CALL_WITHIN,
    NOT_REPORTING_AFTER,
)
from epicontrol.reports.monitoring_schemas import TasksGeneratedOut
from epicontrol.reports.monitoring_states import people_in
from epicontrol.tasks import service as tasks
from epicontrol.tasks.models import GridTask, TaskKind

HOURS = int(NOT_REPORTING_AFTER.total_seconds() // 3600)

VISIT_TITLES = {
    "close_contact": "密接居家观察首次上门 First home visit: close contact under observation",
    "secondary_contact": "次密接首次上门 First home visit: secondary contact under observation",
    "risk_area_arrival": "风险地区来返人员上门登记 Home visit: arrival from a risk area",
}


def source_ref(resident_id: int, now: datetime) -> str:
    """One call per non-reporter per local day: a second run that day finds the first task;
    someone still silent tomorrow gets a new call."""
    return f"not_reporting:{resident_id}:{local_date(now).isoformat()}"


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


def tasks_for_new_observations(
    db: Session, *, division: Division, now: datetime, created_by: str
) -> int:
    """A first door-to-door visit, due within FIRST_VISIT_WITHIN, for every open observation
    episode in the subtree; one per episode however often this runs. Returns tasks created."""
    created = 0
    for person in people_in(db, division=division, now=now):
        if person.state == MonitoringState.CLOSED:
            continue
        for observation in person.observations:
            if observation.closed_at is not None or observation.ends_on < local_date(now):
                continue
            label = VISIT_TITLES.get(observation.reason, VISIT_TITLES["close_contact"])
            task = tasks.create(
                db,
                task=tasks.NewTask(
                    kind=TaskKind.DOOR_TO_DOOR_VISIT,
                    division_id=observation.division_id,
                    resident_id=person.resident_id,
                    household_id=person.household_id,
                    title=label,
                    due_at=observation.created_at + FIRST_VISIT_WITHIN,
                    source_ref=f"observation_visit:{observation.id}",
                ),
                created_by=created_by,
                now=now,
            )
            created += task is not None
    return created


def delivery_ref(household_id: int, day: date) -> str:
    """The delivery of a household on a local day: a second run that day finds it."""
    return f"delivery:{household_id}:{day.isoformat()}"


def tasks_for_deliveries(db: Session, *, division: Division, now: datetime, created_by: str) -> int:
    """A delivery, due within DELIVERY_WITHIN, for every household of the subtree with a member
    in home quarantine (DELIVERY_REASONS) today, unless it had one within DELIVERY_EVERY: each
    period starts on the day of the household's last delivery. Returns tasks created."""
    today = local_date(now)
    quarantined = db.execute(
        select(
            Resident.household_id,
            Household.division_id,
            func.min(Resident.id),
            func.count(func.distinct(Resident.id)),
        )
        .join(Observation, Observation.resident_id == Resident.id)
        .join(Household, Household.id == Resident.household_id)
        .join(Division, Division.id == Household.division_id)
        .where(
            Division.path.startswith(division.path, autoescape=True),
            Observation.reason.in_(sorted(DELIVERY_REASONS)),
            Observation.closed_at.is_(None),
            Observation.starts_on <= today,
            Observation.ends_on >= today,
        )
        .group_by(Resident.household_id, Household.division_id)
        .order_by(Resident.household_id)
    ).all()
    served = _delivered_since(db, [row[0] for row in quarantined if row[0] is not None], today)
    deliveries = [
        tasks.NewTask(
            kind=TaskKind.DELIVERY,
            division_id=grid_id,
            resident_id=first_member,
            household_id=household_id,
            title=f"居家隔离户配送生活物资 Delivery to a quarantined household ({members} 人 in"
            " quarantine)",
            due_at=now + DELIVERY_WITHIN,
            source_ref=delivery_ref(household_id, today),
        )
        for household_id, grid_id, first_member, members in quarantined
        if household_id is not None and household_id not in served
    ]
    return tasks.create_many(db, tasks=deliveries, created_by=created_by, now=now)


def _delivered_since(db: Session, household_ids: list[int], today: date) -> set[int]:
    # The generated deliveries of the current period, found by their unique source_ref.
    days = [today - timedelta(days=back) for back in range(DELIVERY_EVERY.days)]
    refs = {delivery_ref(h, day): h for h in household_ids for day in days}
    served: set[int] = set()
    for chunk in in_chunks(sorted(refs)):
        found = db.scalars(select(GridTask.source_ref).where(GridTask.source_ref.in_(chunk)))
        served.update(refs[ref] for ref in found if ref is not None)
    return served

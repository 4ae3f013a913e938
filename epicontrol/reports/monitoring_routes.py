"""Daily monitoring API (its pages are in monitoring_pages.py, included here).

- POST /api/monitoring/daily-reports                today's report of the resident (themself)
- GET  /api/monitoring/me                           the resident's own observation and reports
- GET  /api/monitoring/people                       people under observation by state (officers)
- POST /api/monitoring/people/{resident_id}/close   end someone's observation, with a reason
- POST /api/monitoring/observations/sync            generate observations for a division and day
- POST /api/monitoring/visit-tasks                  a first home visit per new observation
- POST /api/monitoring/non-reporter-tasks           follow-up-call tasks for non-reporters
- POST /api/monitoring/delivery-tasks               deliveries to quarantined households
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, Vault, require
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.divisions import service as divisions
from epicontrol.reports import daily, monitoring, monitoring_states, monitoring_tasks
from epicontrol.reports.monitoring_models import MonitoringState
from epicontrol.reports.monitoring_pages import router as pages_router
from epicontrol.reports.monitoring_schemas import (
    CloseIn,
    DailyReportIn,
    DailyReportOut,
    MonitoringOut,
    MyMonitoringOut,
    ObservationOut,
    SyncOut,
    TasksGeneratedOut,
    VisitTasksOut,
)

router = APIRouter(tags=["monitoring"])
router.include_router(pages_router)
Reporter = Annotated[Principal, Depends(require(Permission.REPORT_SUBMIT))]
Watcher = Annotated[Principal, Depends(require(Permission.MONITORING_READ))]
Manager = Annotated[Principal, Depends(require(Permission.MONITORING_MANAGE))]


@router.post("/api/monitoring/daily-reports", status_code=201)
def submit_daily_report(db: DbSession, principal: Reporter, data: DailyReportIn) -> DailyReportOut:
    """Today's health report of the caller; a second one the same day replaces the first."""
    return daily.submit(db, principal=principal, data=data, now=utcnow())


@router.get("/api/monitoring/me")
def my_monitoring(db: DbSession, principal: Reporter) -> MyMonitoringOut:
    """The caller's own observation: state, episodes, recent reports."""
    return daily.mine(db, principal=principal, now=utcnow())


@router.get("/api/monitoring/people")
def people(
    db: DbSession,
    principal: Watcher,
    purpose: Purpose,
    vault: Vault,
    division_id: int | None = None,
    state: MonitoringState | None = None,
) -> MonitoringOut:
    """People under observation in a division of the caller's scope, by state; audited."""
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    return monitoring_states.overview(
        db,
        principal=principal,
        division=division,
        now=utcnow(),
        vault=vault,
        state=state,
        purpose=purpose or "daily monitoring",
    )


@router.post("/api/monitoring/people/{resident_id}/close")
def close_observation(
    db: DbSession, principal: Manager, resident_id: int, data: CloseIn
) -> list[ObservationOut]:
    """End every open observation of a person early, with the reason; audited."""
    closed = monitoring.close_person(
        db, principal=principal, resident_id=resident_id, reason=data.reason, now=utcnow()
    )
    return [ObservationOut.model_validate(o) for o in closed]


@router.post("/api/monitoring/observations/sync")
def sync(
    db: DbSession, principal: Manager, division_id: int | None = None, day: date | None = None
) -> SyncOut:
    """Open observations for new contacts and risk-area arrivals of a division (idempotent)."""
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    now = utcnow()
    return monitoring.sync_observations(db, division=division, day=day or local_date(now), now=now)


@router.post("/api/monitoring/non-reporter-tasks")
def non_reporter_tasks(
    db: DbSession, principal: Manager, division_id: int | None = None
) -> TasksGeneratedOut:
    """A follow-up-call task for each non-reporter of the division (one per person a day)."""
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    return monitoring_tasks.tasks_for_non_reporters(
        db, division=division, now=utcnow(), created_by=principal.username
    )


@router.post("/api/monitoring/visit-tasks")
def visit_tasks(db: DbSession, principal: Manager, division_id: int | None = None) -> VisitTasksOut:
    """A first door-to-door visit for each open observation of the division (one each)."""
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    created = monitoring_tasks.tasks_for_new_observations(
        db, division=division, now=utcnow(), created_by=principal.username
    )
    return VisitTasksOut(division_id=division.id, tasks_created=created)


@router.post("/api/monitoring/delivery-tasks")
def delivery_tasks(
    db: DbSession, principal: Manager, division_id: int | None = None
) -> VisitTasksOut:
    """A delivery to each household in home quarantine in the division (one every few days)."""
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    created = monitoring_tasks.tasks_for_deliveries(
        db, division=division, now=utcnow(), created_by=principal.username
    )
    return VisitTasksOut(division_id=division.id, tasks_created=created)

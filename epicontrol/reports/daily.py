"""Daily health reports by residents under observation: one per local day, about themself."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.reports.monitoring import is_open
from epicontrol.reports.monitoring_models import DailyReport, Observation, ObservationSource
from epicontrol.reports.monitoring_rules import FEVER_CELSIUS
from epicontrol.reports.monitoring_schemas import (
    DailyReportIn,
    DailyReportOut,
    MyMonitoringOut,
    ObservationOut,
)
from epicontrol.reports.monitoring_states import state_of

RECENT_REPORTS = 14


def own_resident(principal: Principal) -> int:
    """The resident the caller is: a daily report is only ever about oneself."""
    if principal.resident_id is None:
        raise AccessDenied(
            "this login is not linked to a resident, so it has nobody to report for",
            action=str(Permission.REPORT_SUBMIT),
            entity="daily_report",
        )
    return principal.resident_id


def submit(
    db: Session, *, principal: Principal, data: DailyReportIn, now: datetime
) -> DailyReportOut:
    """Store today's report of the caller. Refused (409) when they are not under observation
    today. A second report the same day replaces the first: someone who reports in the morning
    and develops a fever in the evening must be able to say so, and the latest report is the
    one that sets their state (as Sara Alert does)."""
    resident_id = own_resident(principal)
    today = local_date(now)
    observations = db.scalars(
        select(Observation).where(Observation.resident_id == resident_id)
    ).all()
    if not any(is_open(o, today) for o in observations):
        raise Conflict("you are not under daily observation today, so there is nothing to report")
    report = _todays(db, resident_id, today)
    replaced = report is not None
    if report is None:
        report = DailyReport(
            resident_id=resident_id,
            day=today,
            submissions=0,
            temperature=data.temperature,
            is_symptomatic=False,
            is_at_home=data.is_at_home,
        )
        try:
            # Two submissions at the same moment (a double tap): the second updates the first.
            with db.begin_nested():
                db.add(report)
                db.flush()
        except IntegrityError:
            report = _todays(db, resident_id, today)
            replaced = True
            assert report is not None
    report.temperature = data.temperature
    report.symptoms = ",".join(data.symptoms)
    report.is_symptomatic = bool(data.symptoms) or data.temperature >= FEVER_CELSIUS
    report.is_at_home = data.is_at_home
    report.note = data.note.strip()
    report.submitted_at = now
    report.submissions = (report.submissions or 0) + 1
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="daily_report",
        entity="resident",
        entity_id=resident_id,
        purpose="daily monitoring",
        detail={"day": today.isoformat(), "replaced": replaced},
    )
    return DailyReportOut.model_validate(report)


def _todays(db: Session, resident_id: int, today: date) -> DailyReport | None:
    return db.scalar(
        select(DailyReport).where(DailyReport.resident_id == resident_id, DailyReport.day == today)
    )


def mine(db: Session, *, principal: Principal, now: datetime) -> MyMonitoringOut:
    """The caller's own observation: state, episodes with their sources, recent reports."""
    resident_id = own_resident(principal)
    today = local_date(now)
    observations = db.scalars(
        select(Observation)
        .where(Observation.resident_id == resident_id)
        .order_by(Observation.starts_on.desc(), Observation.id.desc())
    ).all()
    reports = db.scalars(
        select(DailyReport)
        .where(DailyReport.resident_id == resident_id)
        .order_by(DailyReport.day.desc())
        .limit(RECENT_REPORTS)
    ).all()
    sources: dict[int, list[str]] = {}
    if observations:
        for source in db.scalars(
            select(ObservationSource)
            .where(ObservationSource.observation_id.in_([o.id for o in observations]))
            .order_by(ObservationSource.id)
        ):
            sources.setdefault(source.observation_id, []).append(source.source_ref)
    episodes = [
        ObservationOut.model_validate(o).model_copy(update={"sources": sources.get(o.id, [])})
        for o in observations
    ]
    is_observed = any(is_open(o, today) for o in observations)
    reported_today = bool(reports) and reports[0].day == today
    return MyMonitoringOut(
        state=state_of(observations, reports[0] if reports else None, now=now)
        if observations
        else None,
        is_report_due=is_observed and not reported_today,
        observations=episodes,
        reports=[DailyReportOut.model_validate(r) for r in reports],
    )

"""Daily follow-up of contacts under medical observation: the reporting rule and the record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import local_date
from epicontrol.movements.rules import FEVER_THRESHOLD_CELSIUS
from epicontrol.tracing.models import Contact, FollowUp, FollowUpState
from epicontrol.tracing.schemas import FollowUpIn

# Sara Alert (MITRE/CDC, the monitoring tool US health departments used in 2020) lists a
# monitoree as "non-reporting" once no report has come in within the reporting period, one day
# by default. Contacts report daily here (DESIGN.md), so 24 hours after the last report (or
# after being found, before the first) without a new one, a contact is not reporting.
NOT_REPORTING_AFTER = timedelta(hours=24)
# Before the first report is due: found less than a day ago, nothing recorded yet.
PENDING = "pending"


@dataclass(frozen=True, slots=True)
class FollowUpStatus:
    """A contact's observation today: the state, days of observation left, the last report."""

    state: str
    days_left: int
    last_report_on: date | None


def latest_report(reports: Sequence[FollowUp]) -> FollowUp | None:
    """The report of the latest day (the latest recorded on a tie)."""
    return max(reports, key=lambda r: (r.day, r.recorded_at), default=None)


def follow_up_status(
    contact: Contact, reports: Sequence[FollowUp], *, now: datetime
) -> FollowUpStatus:
    """Today's state of a contact from their reports: closed once observation has ended or a
    report closed it; today's report if there is one; not reporting after NOT_REPORTING_AFTER
    without a report; otherwise the last report's state (pending before the first)."""
    today = local_date(now)
    days_left = max(0, (contact.observation_ends_on - today).days)
    latest = latest_report(reports)
    last_on = latest.day if latest else None
    if today > contact.observation_ends_on or (
        latest is not None and latest.state == FollowUpState.CLOSED
    ):
        return FollowUpStatus(FollowUpState.CLOSED.value, 0, last_on)
    if latest is not None and latest.day == today:
        return FollowUpStatus(latest.state, days_left, last_on)
    since = latest.recorded_at if latest is not None else contact.created_at
    if now - since > NOT_REPORTING_AFTER:
        return FollowUpStatus(FollowUpState.NOT_REPORTING.value, days_left, last_on)
    return FollowUpStatus(latest.state if latest else PENDING, days_left, last_on)


def record(
    db: Session, *, principal: Principal, contact: Contact, data: FollowUpIn, now: datetime
) -> FollowUp:
    """Store a day's report of a contact the caller may follow up; a second report of the same
    day replaces the first. A fever makes the day symptomatic whatever state was chosen."""
    today = local_date(now)
    day = data.day or today
    first_day = local_date(contact.first_exposure_at)
    if day > today:
        raise InvalidInput(f"cannot record a follow-up for {day}: it is in the future")
    if not first_day <= day <= contact.observation_ends_on:
        raise InvalidInput(
            f"contact {contact.id} is observed from {first_day} to {contact.observation_ends_on}"
        )
    state = data.state
    if data.temperature is not None and data.temperature >= FEVER_THRESHOLD_CELSIUS:
        state = FollowUpState.SYMPTOMATIC
    report = db.scalar(
        select(FollowUp).where(FollowUp.contact_id == contact.id, FollowUp.day == day)
    )
    if report is None:
        report = FollowUp(contact_id=contact.id, day=day)
        db.add(report)
    report.state = state.value
    report.temperature = data.temperature
    report.note = data.note
    report.recorded_by = principal.username
    report.recorded_at = now
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="follow_up",
        entity="contact",
        entity_id=contact.id,
        purpose="medical observation",
        detail={"day": day.isoformat(), "state": state.value},
    )
    return report

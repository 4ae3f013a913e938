"""Monitoring states per person (Sara Alert's line lists): symptomatic, not reporting,
reporting, closed; and the officer's list of people by state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident
from epicontrol.reports.monitoring import is_open
from epicontrol.reports.monitoring_models import (
    DailyReport,
    MonitoringState,
    Observation,
    ObservationReason,
)
from epicontrol.reports.monitoring_rules import FEVER_CELSIUS, NOT_REPORTING_AFTER
from epicontrol.reports.monitoring_schemas import MonitoringOut, PersonOut

# People whose observation ended (or was closed) within this many days stay on the closed list.
CLOSED_LISTED_DAYS = 14
MAX_PAGE = 500
# Most urgent first: a symptomatic report outranks a missed one (Sara Alert's precedence).
STATE_ORDER = (
    MonitoringState.SYMPTOMATIC,
    MonitoringState.NOT_REPORTING,
    MonitoringState.REPORTING,
    MonitoringState.CLOSED,
)


@dataclass(frozen=True, slots=True)
class Person:
    """A resident's observations and latest report, with the state they give at `now`."""

    resident_id: int
    division_id: int
    household_id: int | None
    observations: tuple[Observation, ...]
    latest: DailyReport | None
    state: MonitoringState


def is_symptomatic(report: DailyReport) -> bool:
    """A report with any symptom, or a temperature at or above the fever threshold."""
    return bool(report.symptoms) or report.temperature >= FEVER_CELSIUS


def state_of(
    observations: Sequence[Observation], latest: DailyReport | None, *, now: datetime
) -> MonitoringState:
    """The person's state at `now`: closed when no episode is open today; symptomatic when the
    latest report of the open episodes is; not reporting when the last report (or, before the
    first, the start of monitoring) is older than NOT_REPORTING_AFTER; reporting otherwise."""
    today = local_date(now)
    running = [o for o in observations if is_open(o, today)]
    if not running:
        return MonitoringState.CLOSED
    first_day = min(o.starts_on for o in running)
    if latest is not None and latest.day < first_day:
        latest = None  # a report of an earlier episode says nothing about this one
    if latest is not None and is_symptomatic(latest):
        return MonitoringState.SYMPTOMATIC
    since = latest.submitted_at if latest else min(o.created_at for o in running)
    if now - since > NOT_REPORTING_AFTER:
        return MonitoringState.NOT_REPORTING
    return MonitoringState.REPORTING


def people_in(db: Session, *, division: Division, now: datetime) -> list[Person]:
    """Everyone with an observation in the subtree that is open or ended recently."""
    today = local_date(now)
    rows = db.execute(
        select(Observation, Resident.household_id)
        .join(Division, Division.id == Observation.division_id)
        .join(Resident, Resident.id == Observation.resident_id)
        .where(
            Division.path.startswith(division.path, autoescape=True),
            Observation.ends_on >= today - timedelta(days=CLOSED_LISTED_DAYS),
            Observation.starts_on <= today,
        )
        .order_by(Observation.resident_id, Observation.id)
    ).all()
    by_person: dict[int, list[Observation]] = defaultdict(list)
    households: dict[int, int | None] = {}
    for observation, household_id in rows:
        by_person[observation.resident_id].append(observation)
        households[observation.resident_id] = household_id
    latest = latest_reports(db, by_person)
    people = []
    for resident_id, observations in by_person.items():
        report = latest.get(resident_id)
        people.append(
            Person(
                resident_id=resident_id,
                division_id=observations[-1].division_id,
                household_id=households[resident_id],
                observations=tuple(observations),
                latest=report,
                state=state_of(observations, report, now=now),
            )
        )
    return people


def latest_reports(db: Session, resident_ids: Iterable[int]) -> dict[int, DailyReport]:
    """Each resident's report of the latest day."""
    ids = sorted(resident_ids)
    latest: dict[int, DailyReport] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists on both databases
        query = (
            select(DailyReport)
            .where(DailyReport.resident_id.in_(ids[start : start + 500]))
            .order_by(DailyReport.resident_id, DailyReport.day)
        )
        for report in db.scalars(query):
            latest[report.resident_id] = report
    return latest


def overview(
    db: Session,
    *,
    principal: Principal,
    division: Division,
    now: datetime,
    vault: PersonalDataVault,
    state: MonitoringState | None = None,
    purpose: str = "daily monitoring",
    limit: int = MAX_PAGE,
) -> MonitoringOut:
    """Counts of every state in the division and one page of people (of `state`, if given),
    most urgent first. Names are masked unless the caller's role may read identity; the read
    is audited with the purpose."""
    people = people_in(db, division=division, now=now)
    counts = {s: 0 for s in STATE_ORDER}
    for person in people:
        counts[person.state] += 1
    listed = [p for p in people if state is None or p.state == state]
    listed.sort(key=lambda p: (STATE_ORDER.index(p.state), _ends_on(p), p.resident_id))
    listed = listed[: min(limit, MAX_PAGE)]
    with_identity = is_allowed(principal.role, Permission.RESIDENT_READ_IDENTITY)
    names = _names(db, [p.resident_id for p in listed], vault if with_identity else None)
    division_ids = {p.division_id for p in listed}
    divisions: dict[int, str] = {
        row.id: row.name
        for row in db.execute(
            select(Division.id, Division.name).where(Division.id.in_(division_ids))
        )
    }
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="observation",
        entity_id=division.id,
        purpose=purpose,
        detail={
            "count": len(listed),
            "state": state.value if state else None,
            "identity": with_identity,
        },
    )
    return MonitoringOut(
        division_id=division.id,
        division_name=division.name,
        as_of=now,
        counts=counts,
        state=state,
        people=[_out(p, names, divisions) for p in listed],
    )


def _ends_on(person: Person) -> date:
    return max(o.ends_on for o in person.observations)


def _names(db: Session, resident_ids: list[int], vault: PersonalDataVault | None) -> dict[int, str]:
    names: dict[int, str] = {}
    for start in range(0, len(resident_ids), 500):
        chunk = resident_ids[start : start + 500]
        rows = db.execute(
            select(Resident.id, Resident.name_masked, Resident.name_enc).where(
                Resident.id.in_(chunk)
            )
        )
        for resident_id, masked, encrypted in rows:
            names[resident_id] = vault.decrypt(encrypted) if vault else masked
    return names


def _out(person: Person, names: dict[int, str], divisions: dict[int, str]) -> PersonOut:
    observations = person.observations
    closed = [o.close_reason for o in observations if o.close_reason]
    report = person.latest
    return PersonOut(
        resident_id=person.resident_id,
        name=names.get(person.resident_id, ""),
        division_id=person.division_id,
        division_name=divisions.get(person.division_id, ""),
        state=person.state,
        reasons=sorted({ObservationReason(o.reason) for o in observations}),
        starts_on=min(o.starts_on for o in observations),
        ends_on=_ends_on(person),
        last_report_at=report.submitted_at if report else None,
        last_temperature=report.temperature if report else None,
        last_symptoms=[s for s in report.symptoms.split(",") if s] if report else [],
        close_reason=closed[-1] if person.state == MonitoringState.CLOSED and closed else None,
    )

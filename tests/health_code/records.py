"""Builders of the records risk-status rules read: cases, contacts, self-checks, arrivals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.db import utcnow
from epicontrol.health_code.evaluate import local_date
from epicontrol.movements.models import Movement, RiskArea
from epicontrol.people.models import Resident
from epicontrol.places.models import Place
from epicontrol.reports.models import SelfCheck
from epicontrol.tracing.models import Contact, TracingRun

_numbers = count(1)


def gate(db: Session) -> Place:
    """The m1 community gate of the test city."""
    place = db.scalar(select(Place).where(Place.code == "GATE-M1"))
    assert place is not None
    return place


def add_case(db: Session, resident_id: int, status: str = "confirmed") -> Case:
    """An open case of a resident (flushed, not committed)."""
    resident = db.get(Resident, resident_id)
    assert resident is not None
    case = Case(
        case_number=f"C-T{next(_numbers):06d}",
        resident_id=resident_id,
        division_id=resident.division_id,
        status=status,
        onset_date=local_date(utcnow()) - timedelta(days=2),
        report_date=local_date(utcnow()),
        created_by="test",
    )
    db.add(case)
    db.flush()
    return case


def add_contact(
    db: Session,
    case: Case,
    resident_id: int,
    *,
    degree: int = 1,
    last_exposure: datetime | None = None,
    ends_on: date | None = None,
    rule: str = "co_location",
) -> Contact:
    """A contact of `case` exposed at the gate (flushed, not committed)."""
    run = TracingRun(case_id=case.id, status="done")
    db.add(run)
    db.flush()
    last = last_exposure or utcnow() - timedelta(days=1)
    resident = db.get(Resident, resident_id)
    assert resident is not None
    contact = Contact(
        case_id=case.id,
        contact_resident_id=resident_id,
        division_id=resident.division_id,
        degree=degree,
        rule=rule,
        place_id=gate(db).id if rule != "household" else None,
        first_exposure_at=last - timedelta(hours=1),
        last_exposure_at=last,
        minutes=60,
        observation_ends_on=ends_on or local_date(last + timedelta(days=14)),
        run_id=run.id,
    )
    db.add(contact)
    db.flush()
    return contact


def add_fever(db: Session, resident_id: int, *, at: datetime | None = None) -> SelfCheck:
    """A fever self-check, not cleared (flushed, not committed)."""
    check = SelfCheck(
        resident_id=resident_id,
        submitted_at=at or utcnow(),
        temperature=38.2,
        fever=True,
        triage="fever_clinic",
    )
    db.add(check)
    db.flush()
    return check


def add_risk_area(db: Session, *, region_code: str = "4201", name: str = "武汉市") -> RiskArea:
    """A risk area active for the past month and open-ended."""
    area = RiskArea(
        region_code=region_code,
        name=name,
        starts_on=local_date(utcnow()) - timedelta(days=30),
        created_by="test",
    )
    db.add(area)
    db.flush()
    return area


def add_arrival(
    db: Session, resident_id: int, *, origin: str = "420102", at: datetime | None = None
) -> Movement:
    """A resident's entry at the gate coming from `origin` (flushed, not committed)."""
    moment = at or utcnow() - timedelta(hours=3)
    movement = Movement(
        client_uuid=f"arrival-{next(_numbers)}-{resident_id}",
        kind="rail",
        direction="in",
        resident_id=resident_id,
        place_id=gate(db).id,
        occurred_at=moment,
        day=moment.date(),
        origin=origin,
    )
    db.add(movement)
    db.flush()
    return movement

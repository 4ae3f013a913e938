"""What a fever-clinic result does to the case list: a positive result opens the patient's
case (confirmed if symptomatic, asymptomatic otherwise) or confirms their suspected one; a
negative result discards their open suspected case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import rules, service
from epicontrol.cases.clinic_schemas import TestResult
from epicontrol.cases.models import OPEN_STATUSES, Case, CaseStatus, ClinicRegistration
from epicontrol.cases.schemas import CaseIn, StatusChange
from epicontrol.core.auth import Principal
from epicontrol.core.local_time import local_date
from epicontrol.people.models import Resident


def is_symptomatic(registration: ClinicRegistration) -> bool:
    """Symptoms told, or a fever measured at triage."""
    fever = registration.temperature is not None and (
        registration.temperature >= rules.FEVER_THRESHOLD_CELSIUS
    )
    return bool(registration.symptoms) or fever


def apply_result(
    db: Session, actor: Principal | str, registration: ClinicRegistration, now: datetime
) -> service.CaseChange | None:
    """The case write a linked registration's result calls for (None if none)."""
    assert registration.resident_id is not None and registration.sampled_at is not None
    assert registration.result_at is not None
    case = db.scalar(
        select(Case).where(
            Case.resident_id == registration.resident_id,
            Case.status.in_([s.value for s in OPEN_STATUSES]),
        )
    )
    sampling = local_date(registration.sampled_at)
    if registration.result == TestResult.NEGATIVE.value:
        if case is None or case.status != CaseStatus.SUSPECTED.value:
            return None
        registration.case_id = case.id
        discard = StatusChange(status=CaseStatus.DISCARDED)
        return service.move(db, actor=actor, case=case, change=discard, now=now)
    symptomatic = is_symptomatic(registration)
    status = CaseStatus.CONFIRMED if symptomatic else CaseStatus.ASYMPTOMATIC
    onset = registration.onset_date if symptomatic else None
    if case is None:
        resident = db.get(Resident, registration.resident_id)
        assert resident is not None  # a foreign key
        data = CaseIn(
            resident_id=resident.id,
            status=status,
            onset_date=onset,
            sampling_date=sampling,
            report_date=local_date(registration.result_at),
        )
        change = service.open_case(
            db, actor=actor, resident=resident, data=data, now=now, purpose="fever clinic result"
        )
    elif case.status == CaseStatus.SUSPECTED.value or (
        case.status == CaseStatus.ASYMPTOMATIC.value and symptomatic
    ):
        move = StatusChange(status=status, onset_date=onset, sampling_date=sampling)
        change = service.move(db, actor=actor, case=case, change=move, now=now)
    else:
        change = service.CaseChange(case)  # already an infection: the result joins it
    registration.case_id = change.case.id
    db.flush()
    return change

"""Fever self-checks: advice for anyone, a stored check for a logged-in resident, and the
officers' list of fever reports, which they clear (audited) after follow-up."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident
from epicontrol.places.models import Place
from epicontrol.reports import rules
from epicontrol.reports.models import SelfCheck
from epicontrol.reports.rules import Answers, Decision, Triage
from epicontrol.reports.schemas import (
    AdviceOut,
    ClinicOut,
    FeverReportOut,
    PublicSelfCheckIn,
    SelfCheckIn,
    SelfCheckOut,
)
from epicontrol.reports.selfcheck_places import (
    Origin,
    division_origin,
    home_origin,
    nearest_fever_clinic,
    risk_areas_visited,
)

MAX_PAGE = 500


def _answers(db: Session, data: SelfCheckIn, *, now: datetime) -> Answers:
    today = local_date(now)
    for trip in data.travel:
        if trip.on > today:
            raise InvalidInput(f"travel to {trip.place} on {trip.on} is in the future")
        if trip.on < today - rules.LOOKBACK:
            raise InvalidInput(
                f"travel to {trip.place} on {trip.on} is more than 14 days ago: list the last "
                "14 days only"
            )
    return Answers(
        temperature=data.temperature,
        symptoms=frozenset(data.symptoms),
        exposures=frozenset(data.exposures),
        risk_areas=tuple(risk_areas_visited(db, data.travel)),
    )


def _decide(db: Session, answers: Answers, origin: Origin) -> tuple[Decision, ClinicOut | None]:
    decision = rules.triage(answers)
    if decision.triage != Triage.FEVER_CLINIC:
        return decision, None
    clinic = nearest_fever_clinic(db, origin=origin)
    if clinic is None:
        where = (
            f"附近未登记发热门诊 No designated fever clinic is recorded near you: call "
            f"{rules.HEALTH_HOTLINE} or your community to be told where to go."
        )
    else:
        distance = "" if clinic.distance_km is None else f", about {clinic.distance_km} km away"
        where = (
            f"最近的指定发热门诊 Nearest designated fever clinic: {clinic.name}"
            f"{' (' + clinic.address + ')' if clinic.address else ''}{distance}. "
            "Wear a mask and avoid public transport on the way."
        )
    return Decision(decision.triage, (*decision.reasons, where)), clinic


def _public_origin(db: Session, data: PublicSelfCheckIn) -> Origin:
    location = data.location
    if location is None:
        return Origin()
    if (location.latitude is None) != (location.longitude is None):
        raise InvalidInput("give both latitude and longitude, or neither")
    division = None
    if location.division_id is not None:
        division = division_origin(db, division_id=location.division_id)
    if location.latitude is not None:
        return Origin(
            location.latitude, location.longitude, division.division_id if division else None
        )
    return division or Origin()


def advise(db: Session, *, data: PublicSelfCheckIn, now: datetime) -> AdviceOut:
    """Advice for an anonymous caller; nothing is stored."""
    answers = _answers(db, data, now=now)
    decision, clinic = _decide(db, answers, _public_origin(db, data))
    return AdviceOut(
        triage=decision.triage,
        advice=decision.advice,
        reasons=list(decision.reasons),
        fever=answers.has_fever,
        clinic=clinic,
    )


def _out(check: SelfCheck, clinic: Place | None) -> SelfCheckOut:
    return SelfCheckOut(
        id=check.id,
        resident_id=check.resident_id,
        submitted_at=check.submitted_at,
        temperature=check.temperature,
        triage=Triage(check.triage),
        advice=rules.ADVICE[Triage(check.triage)],
        reasons=json.loads(check.reasons or "[]"),
        fever=check.fever,
        clinic=ClinicOut(
            place_id=clinic.id, name=clinic.name, address=clinic.address, distance_km=None
        )
        if clinic
        else None,
        cleared_at=check.cleared_at,
        cleared_by=check.cleared_by,
    )


def submit(db: Session, *, principal: Principal, data: SelfCheckIn, now: datetime) -> SelfCheckOut:
    """Store a logged-in resident's self-check with its advice; the clinic is nearest home."""
    if principal.resident_id is None:
        raise AccessDenied(
            "this login is not linked to a resident: only residents file self-checks",
            action=str(Permission.REPORT_SUBMIT),
            entity="self_check",
        )
    answers = _answers(db, data, now=now)
    decision, clinic = _decide(db, answers, home_origin(db, resident_id=principal.resident_id))
    check = SelfCheck(
        resident_id=principal.resident_id,
        submitted_at=now,
        temperature=data.temperature,
        fever=answers.has_fever,
        triage=decision.triage.value,
        symptoms=",".join(sorted(answers.symptoms)),
        exposures=",".join(sorted(answers.exposures)),
        travel=json.dumps([t.model_dump(mode="json") for t in data.travel], ensure_ascii=False),
        reasons=json.dumps(list(decision.reasons), ensure_ascii=False),
        clinic_place_id=clinic.place_id if clinic else None,
    )
    db.add(check)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="create",
        entity="self_check",
        entity_id=check.id,
        purpose="self-check",
        detail={"triage": check.triage, "fever": check.fever},
    )
    out = _out(check, None)
    return out.model_copy(update={"clinic": clinic})


def _with_clinics(db: Session, checks: list[SelfCheck]) -> dict[int, Place]:
    ids = {c.clinic_place_id for c in checks if c.clinic_place_id is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.scalars(select(Place).where(Place.id.in_(ids)))}


def list_mine(db: Session, *, principal: Principal, limit: int = 50) -> list[SelfCheckOut]:
    """The caller's own self-checks, newest first."""
    if principal.resident_id is None:
        return []
    checks = list(
        db.scalars(
            select(SelfCheck)
            .where(SelfCheck.resident_id == principal.resident_id)
            .order_by(SelfCheck.submitted_at.desc(), SelfCheck.id.desc())
            .limit(min(limit, MAX_PAGE))
        )
    )
    clinics = _with_clinics(db, checks)
    return [_out(c, clinics.get(c.clinic_place_id or 0)) for c in checks]


def list_fevers(
    db: Session, *, principal: Principal, purpose: str, include_cleared: bool = False
) -> list[FeverReportOut]:
    """Fever self-checks of residents in the caller's subtree, newest first; the read is audited."""
    query = (
        select(SelfCheck, Resident.name_masked, Resident.division_id)
        .join(Resident, Resident.id == SelfCheck.resident_id)
        .join(Division, Division.id == Resident.division_id)
        .where(
            SelfCheck.fever.is_(True),
            Division.path.startswith(principal.division_path, autoescape=True),
        )
        .order_by(SelfCheck.submitted_at.desc(), SelfCheck.id.desc())
        .limit(MAX_PAGE)
    )
    if not include_cleared:
        query = query.where(SelfCheck.cleared_at.is_(None))
    rows = db.execute(query).all()
    clinics = _with_clinics(db, [row[0] for row in rows])
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="self_check",
        purpose=purpose or "fever follow-up",
        detail={"count": len(rows), "include_cleared": include_cleared},
    )
    return [
        FeverReportOut(
            **_out(check, clinics.get(check.clinic_place_id or 0)).model_dump(),
            name_masked=name,
            division_id=division_id,
        )
        for check, name, division_id in rows
    ]


def clear(
    db: Session, *, principal: Principal, self_check_id: int, note: str, now: datetime
) -> SelfCheckOut:
    """Clear a fever report of a resident in the caller's subtree (audited with the note)."""
    row = db.execute(
        select(SelfCheck, Division.path)
        .join(Resident, Resident.id == SelfCheck.resident_id)
        .join(Division, Division.id == Resident.division_id)
        .where(SelfCheck.id == self_check_id)
    ).first()
    if row is None:
        raise NotFound(f"self-check {self_check_id} does not exist")
    check, path = row
    if not principal.covers(path):
        raise AccessDenied(
            f"self-check {self_check_id} is of a resident outside your scope",
            action=str(Permission.MONITORING_MANAGE),
            entity="self_check",
            entity_id=str(self_check_id),
        )
    if not check.fever:
        raise InvalidInput(f"self-check {self_check_id} reported no fever: nothing to clear")
    if check.cleared_at is not None:
        raise Conflict(
            f"self-check {self_check_id} was already cleared by {check.cleared_by} "
            f"at {check.cleared_at.isoformat()}"
        )
    check.cleared_at, check.cleared_by, check.clear_note = now, principal.username, note
    audit.record(
        db,
        actor=principal,
        action="clear",
        entity="self_check",
        entity_id=check.id,
        purpose="fever follow-up",
        detail={"resident_id": check.resident_id, "note": note},
    )
    db.flush()
    return _out(check, db.get(Place, check.clinic_place_id) if check.clinic_place_id else None)

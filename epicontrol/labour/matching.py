"""Matching: rank candidates for a need, an officer proposes, the employer accepts or declines,
the resident confirms.

Ranking score (0..1) = 0.5 x skill overlap (share of the need's skills the resident has)
+ 0.3 x nearness (1 - distance / the resident's travel limit; 0.5 when a position is unknown)
+ 0.2 x availability overlap (the need's shift offered, times the share of its days offered).
Skills weigh most because a factory trains for a missing skill slowest; the weights are a
planning choice of this deployment (docs/economy-labour.md), not a measured optimum.

A candidate must be green now and live within their own travel limit; the colour is read again at
every later step, and a resident no longer green drops out (a held seat is given back).
Acceptance holds a seat with one conditional UPDATE (`filled < positions`) after moving the
application itself from `proposed` with another, so concurrent acceptances never overfill a need
and the same application is never counted twice. Every way a seat is given back (withdrawal, a
drop, the employer's release of a hire no longer green) first moves the application out of its
seat-holding status with one conditional UPDATE, so a seat is given back once however many of
them race.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import AccessDenied, Conflict, NotFound
from epicontrol.core.i18n import gettext as _
from epicontrol.divisions.models import Division
from epicontrol.health_code import service as health_code
from epicontrol.labour import skills
from epicontrol.labour.models import (
    SEAT_HOLDING,
    ApplicationStatus,
    LabourApplication,
    LabourNeed,
    LabourProfile,
    NeedStatus,
)
from epicontrol.labour.schemas import CandidateOut
from epicontrol.labour.service import (
    GREEN,
    is_green,
    move_application,
    need_distance,
    need_for,
    store_application,
)
from epicontrol.people.models import Resident
from epicontrol.reports.selfcheck_places import home_origin

SKILL_WEIGHT, DISTANCE_WEIGHT, AVAILABILITY_WEIGHT = 0.5, 0.3, 0.2
UNKNOWN_NEARNESS = 0.5  # neither rewarded nor punished when a position is missing
RELEASE_PURPOSE = "labour: seat of a hire no longer green given back"


class NoLongerGreen(Conflict):
    """The resident's risk status is no longer green: their application has been dropped (the
    caller commits the drop and answers 409)."""


@dataclass(frozen=True, slots=True)
class Fit:
    """How well one resident fits one need."""

    skill_overlap: float
    availability_overlap: float
    distance_km: float | None
    score: float


def fit(need: LabourNeed, profile: LabourProfile, distance: float | None) -> Fit | None:
    """The resident's fit for the need; None when the place of work is beyond their limit."""
    if distance is not None and distance > profile.max_distance_km:
        return None
    wanted = set(skills.split(need.skills))
    skill_overlap = len(wanted & set(skills.split(profile.skills))) / len(wanted) if wanted else 0
    days = set(skills.split(need.days))
    shared_days = len(days & set(skills.split(profile.days))) / len(days) if days else 0
    availability = shared_days if need.shift in skills.split(profile.shifts) else 0.0
    near = UNKNOWN_NEARNESS if distance is None else 1 - distance / profile.max_distance_km
    score = SKILL_WEIGHT * skill_overlap + DISTANCE_WEIGHT * near
    score += AVAILABILITY_WEIGHT * availability
    return Fit(round(skill_overlap, 4), round(availability, 4), distance, round(score, 4))


def rank(db: Session, *, principal: Principal, need_id: int) -> list[CandidateOut]:
    """Green candidates for a need, best first: residents of the caller's subtree who offer work,
    and anyone who applied for this need. The read is audited (masked names, no contact)."""
    need = need_for(db, principal=principal, need_id=need_id, action="labour:match")
    in_scope = Resident.division_id.in_(
        select(Division.id).where(
            Division.path.startswith(principal.division_path, autoescape=True)
        )
    )
    applied = select(LabourApplication.resident_id).where(LabourApplication.need_id == need.id)
    rows = db.execute(
        select(LabourProfile, Resident.name_masked)
        .join(Resident, Resident.id == LabourProfile.resident_id)
        .where(or_(in_scope, Resident.id.in_(applied)))
    ).all()
    applications = {
        a.resident_id: a
        for a in db.scalars(select(LabourApplication).where(LabourApplication.need_id == need.id))
    }
    colours = health_code.colours(db, [profile.resident_id for profile, _name in rows])
    ranked: list[CandidateOut] = []
    for profile, name_masked in rows:
        if colours[profile.resident_id] != GREEN:
            continue
        distance = need_distance(need, home_origin(db, resident_id=profile.resident_id))
        found = fit(need, profile, distance)
        if found is None:
            continue
        application = applications.get(profile.resident_id)
        ranked.append(
            CandidateOut(
                resident_id=profile.resident_id,
                name_masked=name_masked,
                score=found.score,
                skill_overlap=found.skill_overlap,
                availability_overlap=found.availability_overlap,
                distance_km=found.distance_km,
                skills=skills.split(profile.skills),
                application_id=application.id if application else None,
                application_status=application.status if application else None,
            )
        )
    ranked.sort(key=lambda c: (-c.score, c.distance_km is None, c.distance_km or 0, c.resident_id))
    audit.record(db, actor=principal, action="read", entity="labour_need", entity_id=need.id,
                 purpose="labour matching: ranked candidates",
                 detail={"residents": [c.resident_id for c in ranked]})  # fmt: skip
    return ranked


def propose(
    db: Session, *, principal: Principal, need_id: int, resident_id: int
) -> LabourApplication:
    """An officer proposes a ranked (green, within reach) candidate to the employer."""
    candidates = {c.resident_id: c for c in rank(db, principal=principal, need_id=need_id)}
    need = db.get(LabourNeed, need_id)
    assert need is not None  # rank() checked it
    if need.status != NeedStatus.OPEN.value:
        raise Conflict(_("This job is not open."))
    candidate = candidates.get(resident_id)
    if candidate is None:
        raise Conflict(
            "not a candidate for this need: no offer of work in your area, beyond their travel "
            "limit, or their risk status is not green"
        )
    application = db.scalar(
        select(LabourApplication).where(
            LabourApplication.need_id == need_id, LabourApplication.resident_id == resident_id
        )
    )
    if application is None:
        application = LabourApplication(need_id=need_id, resident_id=resident_id)
    elif application.status not in (ApplicationStatus.APPLIED, ApplicationStatus.WITHDRAWN):
        raise Conflict(f"already {application.status} for this need")
    application.status = ApplicationStatus.PROPOSED.value
    application.score, application.distance_km = candidate.score, candidate.distance_km
    application.proposed_by, application.updated_at = principal.user_id, utcnow()
    store_application(db, application)
    return application


def _application(db: Session, application_id: int) -> LabourApplication:
    application = db.get(LabourApplication, application_id)
    if application is None:
        raise NotFound(f"application {application_id} does not exist")
    return application


def _drop(db: Session, application: LabourApplication) -> None:
    """Drop an application whose resident is no longer green, giving back a held seat. The
    move is conditional: when the employer released it meanwhile, the seat was given back then."""
    before = ApplicationStatus(application.status)
    if (
        move_application(db, application.id, before, ApplicationStatus.DROPPED)
        and before in SEAT_HOLDING
    ):
        _release_seat(db, application.need_id)
    db.expire(application)


def _release_seat(db: Session, need_id: int) -> None:
    db.execute(
        update(LabourNeed)
        .where(LabourNeed.id == need_id, LabourNeed.filled > 0)
        .values(filled=LabourNeed.filled - 1)
    )


def decide(
    db: Session, *, principal: Principal, application_id: int, accept: bool
) -> LabourApplication:
    """The employer accepts (holding a seat) or declines a proposed candidate."""
    application = _application(db, application_id)
    need_for(db, principal=principal, need_id=application.need_id, action="labour:post")
    if application.status != ApplicationStatus.PROPOSED:
        raise Conflict(f"this application is {application.status}, not proposed")
    if accept and not is_green(db, application.resident_id):
        _drop(db, application)
        raise NoLongerGreen(_("This resident's risk status is no longer green."))
    after = ApplicationStatus.ACCEPTED if accept else ApplicationStatus.DECLINED
    decided = {"decided_by": principal.user_id}
    if not move_application(db, application.id, ApplicationStatus.PROPOSED, after, **decided):
        raise Conflict("this application was decided meanwhile")
    if accept:
        held = db.execute(
            update(LabourNeed)
            .where(
                LabourNeed.id == application.need_id,
                LabourNeed.status == NeedStatus.OPEN.value,
                LabourNeed.filled < LabourNeed.positions,
            )
            .values(filled=LabourNeed.filled + 1)
        )
        if not getattr(held, "rowcount", 0):
            raise Conflict(_("All positions of this job are filled."))
    db.refresh(application)
    return application


def _own(db: Session, principal: Principal, application_id: int) -> LabourApplication:
    application = _application(db, application_id)
    if principal.resident_id is None or application.resident_id != principal.resident_id:
        raise AccessDenied(
            "not your application",
            action="labour:apply",
            entity="labour_application",
            entity_id=str(application_id),
        )
    return application


def confirm(db: Session, *, principal: Principal, application_id: int) -> LabourApplication:
    """The resident confirms a job the employer accepted them for (green now, or dropped)."""
    application = _own(db, principal, application_id)
    if application.status != ApplicationStatus.ACCEPTED:
        raise Conflict(_("Only a job the employer has accepted you for can be confirmed."))
    if not is_green(db, application.resident_id):
        _drop(db, application)
        raise NoLongerGreen(_("Your risk status is no longer green: the job has been given back."))
    if not move_application(
        db, application.id, ApplicationStatus.ACCEPTED, ApplicationStatus.CONFIRMED
    ):
        raise Conflict("this application changed meanwhile")
    db.refresh(application)
    return application


def withdraw(db: Session, *, principal: Principal, application_id: int) -> LabourApplication:
    """The resident withdraws; a held seat is given back."""
    application = _own(db, principal, application_id)
    before = ApplicationStatus(application.status)
    if before in (
        ApplicationStatus.DECLINED,
        ApplicationStatus.WITHDRAWN,
        ApplicationStatus.DROPPED,
        ApplicationStatus.RELEASED,
    ):
        raise Conflict(f"this application is already {before}")
    if not move_application(db, application.id, before, ApplicationStatus.WITHDRAWN):
        raise Conflict("this application changed meanwhile")
    if before in (ApplicationStatus.ACCEPTED, ApplicationStatus.CONFIRMED):
        _release_seat(db, application.need_id)
    db.refresh(application)
    return application


def release(db: Session, *, principal: Principal, application_id: int) -> LabourApplication:
    """The employer gives back the seat of a hire (accepted or confirmed) whose risk status is
    no longer green, so that another resident can take it. Refused for a green hire: this is not
    a way to dismiss workers. Audited."""
    application = _application(db, application_id)
    need_for(db, principal=principal, need_id=application.need_id, action="labour:post")
    before = ApplicationStatus(application.status)
    if before not in SEAT_HOLDING:
        raise Conflict(_("Only a hire who holds a seat can be released."))
    if is_green(db, application.resident_id):
        raise Conflict(
            _("This hire's risk status is green: only a hire who is no longer green is released.")
        )
    if not move_application(db, application.id, before, ApplicationStatus.RELEASED):
        raise Conflict("this application changed meanwhile")
    _release_seat(db, application.need_id)
    audit.record(db, actor=principal, action="release", entity="labour_application",
                 entity_id=application.id, purpose=RELEASE_PURPOSE,
                 detail={"need": application.need_id, "resident": application.resident_id,
                         "was": before.value})  # fmt: skip
    db.refresh(application)
    return application

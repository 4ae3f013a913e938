"""Needs and profiles: employers post needs, residents keep an offer of work, see jobs near
home and apply. Matching (ranking, proposals, decisions, confirmation) is in matching.py.

Only residents whose current risk status is green may apply (and be matched): the colour is read
at every step from health_code (stored status, or its evidence when stale), never cached here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.i18n import gettext as _
from epicontrol.core.local_time import local_date
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division
from epicontrol.enterprises.models import Enterprise, EnterpriseMember
from epicontrol.health_code import service as health_code
from epicontrol.labour import skills
from epicontrol.labour.models import (
    ApplicationStatus,
    LabourApplication,
    LabourNeed,
    LabourProfile,
    NeedStatus,
)
from epicontrol.labour.schemas import NeedIn, NeedOut, ProfileIn, ProfileOut
from epicontrol.reports.selfcheck_places import Origin, distance_km, home_origin

GREEN = "green"


def is_green(db: Session, resident_id: int) -> bool:
    """Whether the resident's current risk status is green."""
    return health_code.colours(db, [resident_id])[resident_id] == GREEN


def require_green(db: Session, resident_id: int) -> None:
    """Conflict unless the resident's current risk status is green."""
    if not is_green(db, resident_id):
        raise Conflict(_("Only residents with a green risk status can apply for jobs."))


def _resident_of(principal: Principal) -> int:
    if principal.resident_id is None:
        raise InvalidInput(_("Your account is not linked to a resident."))
    return principal.resident_id


# -- needs -------------------------------------------------------------------------------------


def _employer_name(db: Session, principal: Principal, given: str) -> str:
    """The name typed, else the caller's company (enterprises/), else their login's name."""
    if given.strip():
        return given.strip()
    company = db.scalar(
        select(Enterprise.name)
        .join(EnterpriseMember, EnterpriseMember.enterprise_id == Enterprise.id)
        .where(EnterpriseMember.user_id == principal.user_id)
    )
    if company:
        return company
    return db.scalar(select(User.display_name).where(User.id == principal.user_id)) or (
        principal.username
    )


def post_need(db: Session, *, principal: Principal, data: NeedIn) -> LabourNeed:
    """Store a need at a place of work inside the caller's division subtree."""
    division = db.get(Division, data.division_id)
    if division is None:
        raise InvalidInput(f"division {data.division_id} does not exist")
    if not principal.covers(division.path):
        raise AccessDenied(
            f"division {division.name} is outside your scope",
            action="labour:post",
            entity="division",
            entity_id=str(division.id),
        )
    if (data.latitude is None) != (data.longitude is None):
        raise InvalidInput("give both latitude and longitude, or neither")
    if data.start_date < local_date(utcnow()):
        raise InvalidInput("the start date is in the past")
    need = LabourNeed(
        division_id=division.id,
        employer_name=_employer_name(db, principal, data.employer_name),
        title=data.title.strip(),
        skills=skills.join(skills.SKILLS, data.skills, what="skills"),
        positions=data.positions,
        filled=0,
        place_name=data.place_name.strip(),
        latitude=data.latitude if data.latitude is not None else division.latitude,
        longitude=data.longitude if data.longitude is not None else division.longitude,
        shift=skills.join(skills.SHIFTS, [data.shift], what="shift"),
        days=skills.join(skills.DAYS, data.days, what="days"),
        start_date=data.start_date,
        pay_yuan_per_day=data.pay_yuan_per_day,
        status=NeedStatus.OPEN.value,
        posted_by=principal.user_id,
    )
    db.add(need)
    db.flush()
    audit.record(db, actor=principal, action="create", entity="labour_need", entity_id=need.id,
                 purpose="labour need posted")  # fmt: skip
    return need


def _in_subtree(principal: Principal) -> ColumnElement[bool]:
    return LabourNeed.division_id.in_(
        select(Division.id).where(
            Division.path.startswith(principal.division_path, autoescape=True)
        )
    )


def needs_in_scope(
    db: Session, *, principal: Principal, only_open: bool = False
) -> list[LabourNeed]:
    """An employer's own needs; for staff, the needs located in their subtree. Newest first."""
    query = select(LabourNeed).where(_in_subtree(principal))
    if principal.role == Role.ENTERPRISE:
        query = query.where(LabourNeed.posted_by == principal.user_id)
    if only_open:
        query = query.where(LabourNeed.status == NeedStatus.OPEN.value)
    return list(db.scalars(query.order_by(LabourNeed.id.desc())))


def need_for(db: Session, *, principal: Principal, need_id: int, action: str) -> LabourNeed:
    """A need the caller may act on: in their subtree, and their own for an enterprise login."""
    need = db.get(LabourNeed, need_id)
    if need is None:
        raise NotFound(f"labour need {need_id} does not exist")
    path = db.scalar(select(Division.path).where(Division.id == need.division_id)) or ""
    own = principal.role != Role.ENTERPRISE or need.posted_by == principal.user_id
    if not principal.covers(path) or not own:
        raise AccessDenied(
            "this labour need is not yours to see",
            action=action,
            entity="labour_need",
            entity_id=str(need_id),
        )
    return need


def close_need(db: Session, *, principal: Principal, need_id: int) -> LabourNeed:
    """Close a need: it takes no more applicants (seats already held stay)."""
    need = need_for(db, principal=principal, need_id=need_id, action="labour:post")
    need.status = NeedStatus.CLOSED.value
    audit.record(db, actor=principal, action="close", entity="labour_need", entity_id=need.id,
                 purpose="labour need closed")  # fmt: skip
    return need


def describe(
    db: Session, needs: Sequence[LabourNeed], origin: Origin | None = None
) -> list[NeedOut]:
    """Needs as shown, with their division's name and the distance from `origin` if known."""
    ids = {need.division_id for need in needs}
    query = select(Division.id, Division.name).where(Division.id.in_(ids))
    names = {division_id: name for division_id, name in db.execute(query)}
    return [_need_out(need, names.get(need.division_id, ""), origin) for need in needs]


def _need_out(need: LabourNeed, division_name: str, origin: Origin | None) -> NeedOut:
    return NeedOut(
        id=need.id,
        division_id=need.division_id,
        division_name=division_name,
        employer_name=need.employer_name,
        title=need.title,
        skills=skills.split(need.skills),
        skill_labels=skills.labels(skills.SKILLS, need.skills),
        positions=need.positions,
        filled=need.filled,
        fill_rate=round(need.filled / need.positions, 4),
        place_name=need.place_name,
        latitude=need.latitude,
        longitude=need.longitude,
        shift=need.shift,
        shift_label=skills.label(skills.SHIFTS, need.shift),
        days=skills.split(need.days),
        day_labels=skills.labels(skills.DAYS, need.days),
        start_date=need.start_date,
        pay_yuan_per_day=need.pay_yuan_per_day,
        status=need.status,
        distance_km=need_distance(need, origin),
    )


def need_distance(need: LabourNeed, origin: Origin | None) -> float | None:
    """Kilometres from `origin` to the place of work; None when either position is unknown."""
    if origin is None or origin.latitude is None or origin.longitude is None:
        return None
    if need.latitude is None or need.longitude is None:
        return None
    return round(distance_km(origin.latitude, origin.longitude, need.latitude, need.longitude), 2)


# -- residents ---------------------------------------------------------------------------------


def save_profile(db: Session, *, principal: Principal, data: ProfileIn) -> LabourProfile:
    """Create or replace the caller's offer of work."""
    resident_id = _resident_of(principal)
    chosen = {
        "skills": skills.join(skills.SKILLS, data.skills, what="skills"),
        "shifts": skills.join(skills.SHIFTS, data.shifts, what="shifts"),
        "days": skills.join(skills.DAYS, data.days, what="days"),
    }
    profile = db.scalar(select(LabourProfile).where(LabourProfile.resident_id == resident_id))
    if profile is None:
        profile = LabourProfile(
            resident_id=resident_id, max_distance_km=data.max_distance_km, **chosen
        )
        db.add(profile)
    else:
        for field, value in chosen.items():
            setattr(profile, field, value)
        profile.max_distance_km = data.max_distance_km
        profile.updated_at = utcnow()
    db.flush()
    return profile


def profile_of(db: Session, *, principal: Principal) -> ProfileOut | None:
    """The caller's offer of work, if they made one."""
    profile = db.scalar(
        select(LabourProfile).where(LabourProfile.resident_id == _resident_of(principal))
    )
    if profile is None:
        return None
    return ProfileOut(
        skills=skills.split(profile.skills),
        shifts=skills.split(profile.shifts),
        days=skills.split(profile.days),
        max_distance_km=profile.max_distance_km,
    )


def jobs_near(db: Session, *, principal: Principal) -> list[NeedOut]:
    """Open needs nearest the caller's home first, within their travel distance when they have
    an offer of work (needs with no known position are listed after the rest)."""
    resident_id = _resident_of(principal)
    origin = home_origin(db, resident_id=resident_id)
    profile = db.scalar(select(LabourProfile).where(LabourProfile.resident_id == resident_id))
    needs = db.scalars(
        select(LabourNeed).where(LabourNeed.status == NeedStatus.OPEN.value).order_by(LabourNeed.id)
    ).all()
    shown = describe(db, needs, origin)
    if profile is not None:
        limit = profile.max_distance_km
        shown = [n for n in shown if n.distance_km is None or n.distance_km <= limit]
    return sorted(shown, key=lambda n: (n.distance_km is None, n.distance_km or 0.0, n.id))


# An application over without a seat may be renewed by the resident as a fresh application:
# withdrawn, or (once green again) released or dropped for not being green.
RENEWABLE = (
    ApplicationStatus.WITHDRAWN.value,
    ApplicationStatus.RELEASED.value,
    ApplicationStatus.DROPPED.value,
)
REAPPLY_PURPOSE = "labour: resident applies again for the same need"


def apply(db: Session, *, principal: Principal, need_id: int) -> LabourApplication:
    """Apply for an open need: green residents with an offer of work only, once per need. An
    application withdrawn, released or dropped may be renewed while the need has a free seat."""
    resident_id = _resident_of(principal)
    need = db.get(LabourNeed, need_id)
    if need is None or need.status != NeedStatus.OPEN.value:
        raise NotFound(_("This job is not open."))
    if db.scalar(select(LabourProfile.id).where(LabourProfile.resident_id == resident_id)) is None:
        raise InvalidInput(_("Fill in your skills and availability first."))
    require_green(db, resident_id)
    found = db.scalar(
        select(LabourApplication).where(
            LabourApplication.need_id == need_id, LabourApplication.resident_id == resident_id
        )
    )
    if found is None:
        found = LabourApplication(need_id=need_id, resident_id=resident_id)
        found.status = ApplicationStatus.APPLIED.value
        found.updated_at = utcnow()
        store_application(db, found)
        return found
    if found.status not in RENEWABLE:
        raise Conflict(_("You have already applied for this job."))
    if need.filled >= need.positions:
        raise Conflict(_("All positions of this job are filled."))
    _renew(db, principal, found)
    return found


def _renew(db: Session, principal: Principal, application: LabourApplication) -> None:
    """Reset a finished application to `applied` in one conditional UPDATE, so that of two
    renewals at once only one passes. The (need, resident) pair is unique in the table, so a
    renewal reuses the row; the audit entry keeps what it was (shown as its history)."""
    was = ApplicationStatus(application.status)
    fresh = {"score": None, "distance_km": None, "proposed_by": None, "decided_by": None}
    if not move_application(db, application.id, was, ApplicationStatus.APPLIED, **fresh):
        raise Conflict(_("You have already applied for this job."))
    audit.record(db, actor=principal, action="reapply", entity="labour_application",
                 entity_id=application.id, purpose=REAPPLY_PURPOSE,
                 detail={"need": application.need_id, "resident": application.resident_id,
                         "was": was.value})  # fmt: skip
    db.refresh(application)


def move_application(
    db: Session,
    application_id: int,
    before: ApplicationStatus,
    after: ApplicationStatus,
    **values: object,
) -> bool:
    """Move an application between statuses only if it is still in `before` (one UPDATE),
    setting `values` with it; whether it moved."""
    moved = db.execute(
        update(LabourApplication)
        .where(LabourApplication.id == application_id, LabourApplication.status == before.value)
        .values(status=after.value, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(moved, "rowcount", 0))


def store_application(db: Session, application: LabourApplication) -> None:
    """Flush an application in a savepoint: the unique (need, resident) constraint decides a
    race between a resident applying and an officer proposing them (Conflict for the loser)."""
    try:
        with db.begin_nested():
            db.add(application)
            db.flush()
    except IntegrityError as clash:
        raise Conflict(_("You have already applied for this job.")) from clash

"""Demo data for labour matching, around the demo company's community.

Three needs of essential manufacturers (a mask-fabric factory's sewing machine operators, as
Quzhou's big data bureau matched overnight; packers; a licence-C driver), offers of work from
residents of the community (the demo resident among them), and applications at every step, so
the resident's, the employer's and the officers' pages all have something to show. Only green
residents take part. Deterministic (seed 2020); a store that already has needs is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division
from epicontrol.health_code import service as health_code
from epicontrol.labour import skills
from epicontrol.labour.models import (
    ApplicationStatus,
    LabourApplication,
    LabourNeed,
    LabourProfile,
    NeedStatus,
)
from epicontrol.people.models import Resident
from epicontrol.reports.selfcheck_places import division_origin

PROFILES = 24
# employer, title, skills, positions, shift, days, pay (yuan a day), km east of the community
NEEDS = (
    ("衢州某熔喷布厂", "口罩布车间缝纫工", ("sewing_machine_operator",), 10, "day",
     ("mon", "tue", "wed", "thu", "fri", "sat"), 280, 1.5),
    ("衢州某熔喷布厂", "成品包装工", ("packing", "quality_inspection"), 6, "evening",
     ("mon", "tue", "wed", "thu", "fri"), 220, 1.5),
    ("衢州某防护用品公司", "物资配送司机", ("driver_licence_c",), 2, "day",
     ("mon", "wed", "fri", "sun"), 300, 4.0),
)  # fmt: skip
# (need, status) of the first applicants of each need, in ranking order
STEPS = (
    ApplicationStatus.CONFIRMED,
    ApplicationStatus.CONFIRMED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.PROPOSED,
    ApplicationStatus.APPLIED,
)


def seed_demo(db: Session, *, seed: int = 2020, now: datetime | None = None) -> None:
    """Store the demo's needs, offers of work and applications (the caller commits)."""
    if db.scalar(select(func.count()).select_from(LabourNeed)):
        return
    employer = db.scalar(
        select(User).where(User.role == Role.ENTERPRISE.value).order_by(User.id).limit(1)
    )
    officer = db.scalar(
        select(User).where(User.role == Role.COMMUNITY_OFFICER.value).order_by(User.id).limit(1)
    )
    if employer is None or officer is None:
        return
    community = db.get(Division, employer.division_id)
    assert community is not None
    chooser = random.Random(seed)
    now = now or utcnow()
    needs = _needs(db, community, employer.id, now)
    profiles = _profiles(db, community, chooser)
    for index, need in enumerate(needs):
        fitting = [
            p for p in profiles if set(skills.split(need.skills)) & set(skills.split(p.skills))
        ]
        for step, profile in zip(STEPS[index:], fitting, strict=False):
            _application(db, need, profile.resident_id, step, officer.id, employer.id, now)
    db.flush()


def _needs(db: Session, community: Division, posted_by: int, now: datetime) -> list[LabourNeed]:
    origin = division_origin(db, division_id=community.id)
    made = []
    for employer, title, wanted, positions, shift, days, pay, km_east in NEEDS:
        latitude, longitude = origin.latitude, origin.longitude
        if longitude is not None:
            longitude += km_east / 97.0  # ~97 km per degree of longitude at Quzhou's 29°N
        need = LabourNeed(
            division_id=community.id,
            employer_name=employer,
            title=title,
            skills=",".join(wanted),
            positions=positions,
            filled=0,
            place_name=f"{community.name}工业园",
            latitude=latitude,
            longitude=longitude,
            shift=shift,
            days=",".join(days),
            start_date=local_date(now) + timedelta(days=1),
            pay_yuan_per_day=pay,
            status=NeedStatus.OPEN.value,
            posted_by=posted_by,
            created_at=now - timedelta(hours=12),
        )
        db.add(need)
        made.append(need)
    db.flush()
    return made


def _profiles(db: Session, community: Division, chooser: random.Random) -> list[LabourProfile]:
    """Offers of work from green adults of the community, the demo resident's first."""
    demo_resident = db.scalar(
        select(User.resident_id).where(User.role == Role.RESIDENT.value).order_by(User.id).limit(1)
    )
    grids = select(Division.id).where(Division.path.startswith(community.path, autoescape=True))
    people = list(
        db.scalars(
            select(Resident.id)
            .where(Resident.division_id.in_(grids), Resident.birth_year.between(1962, 2001))
            .order_by(Resident.id)
            .limit(PROFILES * 3)
        )
    )
    colours = health_code.colours(db, people)
    chosen = [r for r in people if colours[r] == "green" and r != demo_resident][:PROFILES]
    made = []
    codes = list(skills.SKILLS)
    for resident_id in chosen:
        profile = LabourProfile(
            resident_id=resident_id,
            skills=",".join(
                c for c in codes if c in set(chooser.sample(codes, k=chooser.randint(1, 3)))
            ),
            shifts=",".join(s for s in skills.SHIFTS if chooser.random() < 0.6) or "day",
            days="mon,tue,wed,thu,fri" if chooser.random() < 0.7 else "mon,tue,wed,thu,fri,sat,sun",
            max_distance_km=float(chooser.choice((5, 10, 15, 30))),
        )
        db.add(profile)
        made.append(profile)
    if demo_resident is not None:
        # The demo resident offers work but has not applied: their page invites them to.
        db.add(LabourProfile(resident_id=demo_resident, skills="packing,sewing_machine_operator",
                             shifts="day,evening", days="mon,tue,wed,thu,fri",
                             max_distance_km=10.0))  # fmt: skip
    db.flush()
    return made


def _application(
    db: Session,
    need: LabourNeed,
    resident_id: int,
    status: ApplicationStatus,
    officer_id: int,
    employer_id: int,
    now: datetime,
) -> None:
    proposed = status != ApplicationStatus.APPLIED
    decided = status in (ApplicationStatus.ACCEPTED, ApplicationStatus.CONFIRMED)
    db.add(
        LabourApplication(
            need_id=need.id,
            resident_id=resident_id,
            status=status.value,
            score=0.8 if proposed else None,
            proposed_by=officer_id if proposed else None,
            decided_by=employer_id if decided else None,
            created_at=now - timedelta(hours=10),
            updated_at=now - timedelta(hours=2),
        )
    )
    if decided:
        need.filled += 1

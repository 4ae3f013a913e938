"""Labour-matching test data: positions for the test city, needs, offers of work, logins."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal, issue_token
from epicontrol.core.db import utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.local_time import local_date
from epicontrol.core.models import AuditEntry, User
from epicontrol.divisions.models import Division
from epicontrol.labour import service
from epicontrol.labour.models import LabourApplication, LabourNeed, LabourProfile
from epicontrol.labour.schemas import NeedIn
from epicontrol.reports.models import SelfCheck
from tests.factories import TEST_SECRET, City

# Positions (Quzhou, roughly): m1's grids close together, m2 ~5 km away, m3 ~40 km away.
POSITIONS = {
    "s1": (28.97, 118.87),
    "m1": (28.970, 118.870),
    "g1": (28.971, 118.871),
    "g2": (28.972, 118.869),
    "m2": (29.010, 118.900),
    "g3": (29.011, 118.901),
    "m3": (29.300, 118.700),
    "g4": (29.301, 118.701),
}


def place_city(db: Session, city: City) -> None:
    """Give the test city's divisions positions (homes take their grid's)."""
    for short, (latitude, longitude) in POSITIONS.items():
        db.execute(
            update(Division)
            .where(Division.id == city.divisions[short])
            .values(latitude=latitude, longitude=longitude)
        )
    db.commit()


def principal(db: Session, username: str) -> Principal:
    """The principal of a test user, as a request would load it."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    found = load_principal(db, user_id)
    assert found is not None
    return found


def need_in(city: City, **changes: object) -> NeedIn:
    """A mask-fabric factory's need in m1 (10 sewing machine operators, day shift)."""
    values: dict[str, object] = {
        "division_id": city.divisions["m1"],
        "employer_name": "衢州某熔喷布厂",
        "title": "口罩布车间缝纫工",
        "skills": ["sewing_machine_operator", "packing"],
        "positions": 10,
        "place_name": "衢州经济开发区",
        "latitude": 28.970,
        "longitude": 118.870,
        "shift": "day",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start_date": local_date(utcnow()) + timedelta(days=1),
        "pay_yuan_per_day": 260,
    }
    values.update(changes)
    return NeedIn.model_validate(values)


def post_need(db: Session, city: City, **changes: object) -> int:
    """Post a need as enterprise_s1 (committed); its id."""
    need = service.post_need(
        db, principal=principal(db, "enterprise_s1"), data=need_in(city, **changes)
    )
    db.commit()
    return need.id


def offer_work(
    db: Session,
    resident_id: int,
    *,
    skills: tuple[str, ...] = ("sewing_machine_operator", "packing"),
    shifts: tuple[str, ...] = ("day",),
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri"),
    max_distance_km: float = 20,
) -> None:
    """Store a resident's offer of work (committed)."""
    db.add(
        LabourProfile(
            resident_id=resident_id,
            skills=",".join(skills),
            shifts=",".join(shifts),
            days=",".join(days),
            max_distance_km=max_distance_km,
        )
    )
    db.commit()


def clear_fevers(db: Session, resident_id: int) -> None:
    """A clinic clears the resident's fever self-checks: green again (flushed, not committed)."""
    db.execute(
        update(SelfCheck)
        .where(SelfCheck.resident_id == resident_id, SelfCheck.cleared_at.is_(None))
        .values(cleared_at=utcnow())
    )
    db.flush()


def headers_for(db: Session, username: str) -> dict[str, str]:
    """Bearer headers for a test user (no argon2 login: it is slow by design)."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, user_id)}"}


def hire(
    client: TestClient, db: Session, need_id: int, resident_id: int, *, confirm_as: str = ""
) -> int:
    """Propose a resident who offers work and accept them; they confirm when `confirm_as` names
    their login. The application's id."""
    officer, employer = headers_for(db, "officer_m1"), headers_for(db, "enterprise_s1")
    proposal = {"resident_id": resident_id}
    made = client.post(f"/api/labour/needs/{need_id}/proposals", json=proposal, headers=officer)
    assert made.status_code == 201, made.text
    application_id: int = made.json()["id"]
    accepted = client.post(f"/api/labour/applications/{application_id}/accept", headers=employer)
    assert accepted.json()["status"] == "accepted", accepted.text
    if confirm_as:
        confirmed = client.post(
            f"/api/labour/applications/{application_id}/confirm",
            headers=headers_for(db, confirm_as),
        )
        assert confirmed.json()["status"] == "confirmed", confirmed.text
    return application_id


def seats_taken(db: Session, need_id: int) -> int:
    """The need's filled seats, as stored now."""
    db.expire_all()
    filled = db.scalar(select(LabourNeed.filled).where(LabourNeed.id == need_id))
    assert filled is not None
    return filled


def status_of(db: Session, application_id: int) -> str:
    """The application's status, as stored now."""
    db.expire_all()
    found = db.scalar(
        select(LabourApplication.status).where(LabourApplication.id == application_id)
    )
    assert found is not None
    return found


def audited(db: Session, purpose: str) -> list[AuditEntry]:
    """The audit entries recorded with `purpose`, as stored now."""
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.purpose == purpose)))

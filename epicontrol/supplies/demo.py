"""Demo data for face-mask ordering, around the demo resident's home.

Three rounds, so every page has something to show: a first-come round of the resident's
community open now, a lottery round of their street open now, and yesterday's lottery of the
street already drawn, with applications from households of the street (the resident's among
them, so they see a pickup code or "not drawn"). Deterministic choices (seed 2020); a store that
already has mask rounds is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import Place, PlaceKind
from epicontrol.supplies import rounds
from epicontrol.supplies.models import (
    Allocation,
    MaskReservation,
    MaskRound,
    ReservationStatus,
    RoundPharmacy,
)

PAST_APPLICATIONS = 60


def seed_demo(db: Session, *, seed: int = 2020, now: datetime | None = None) -> None:
    """Store the demo's mask rounds (the caller commits); nothing if rounds already exist."""
    if db.scalar(select(func.count()).select_from(MaskRound)):
        return
    home = _demo_home(db)
    if home is None:
        return
    household_id, community, street = home
    pharmacies = _pharmacies(db, street)
    if not pharmacies:
        return
    chooser = random.Random(seed)
    now = (now or utcnow()).replace(second=0, microsecond=0)
    creator = db.scalar(select(User.id).where(User.role == Role.ADMIN.value).limit(1))
    assert creator is not None, "the demo has an admin"
    _round(
        db,
        community,
        pharmacies[:3],
        creator,
        "先到先得",
        "first come",
        Allocation.FIRST_COME,
        opens=now - timedelta(days=1),
        closes=now + timedelta(days=2),
        pickup=now,
        supply=3000,
        quota=5,
    )
    _round(
        db,
        street,
        pharmacies,
        creator,
        "抽签",
        "lottery",
        Allocation.LOTTERY,
        opens=now - timedelta(hours=6),
        closes=now + timedelta(days=1),
        pickup=now + timedelta(days=2),
        supply=400,
        quota=10,
    )
    past = _round(
        db,
        street,
        pharmacies,
        creator,
        "上一轮抽签",
        "last lottery",
        Allocation.LOTTERY,
        opens=now - timedelta(days=3),
        closes=now - timedelta(days=1),
        pickup=now - timedelta(hours=12),
        supply=200,
        quota=10,
    )
    _apply(db, past, street, household_id, pharmacies, chooser)
    rounds.draw_closed_round(db, round_=past, now=now - timedelta(hours=20), actor="mask-demo")
    db.flush()


def _demo_home(db: Session) -> tuple[int, Division, Division] | None:
    """The demo resident's household, community and street."""
    found = db.execute(
        select(Resident.household_id, Division)
        .join(User, User.resident_id == Resident.id)
        .join(Household, Household.id == Resident.household_id)
        .join(Division, Division.id == Household.division_id)
        .where(User.role == Role.RESIDENT.value)
        .order_by(User.id)
        .limit(1)
    ).first()
    if found is None:
        return None
    household_id, grid = found
    if household_id is None:
        return None
    ancestors = [int(part) for part in grid.path.strip("/").split("/")]
    by_id = {d.id: d for d in db.scalars(select(Division).where(Division.id.in_(ancestors)))}
    community = by_id.get(grid.parent_id or 0)
    street = by_id.get(community.parent_id or 0) if community else None
    if community is None or street is None:
        return None
    return household_id, community, street


def _pharmacies(db: Session, street: Division) -> list[int]:
    return list(
        db.scalars(
            select(Place.id)
            .join(Division, Division.id == Place.division_id)
            .where(Place.kind == PlaceKind.PHARMACY.value, Division.path.startswith(street.path))
            .order_by(Place.id)
            .limit(6)
        )
    )


def _round(
    db: Session,
    division: Division,
    pharmacies: list[int],
    creator: int,
    kind_zh: str,
    kind_en: str,
    allocation: Allocation,
    *,
    opens: datetime,
    closes: datetime,
    pickup: datetime,
    supply: int,
    quota: int,
) -> MaskRound:
    made = MaskRound(
        division_id=division.id,
        title_zh=f"{division.name}口罩预约（{kind_zh}）",
        title_en=f"Face masks for {division.name_pinyin or division.name} ({kind_en})",
        allocation=allocation.value,
        masks_per_household=quota,
        supply=supply,
        reserved=0,
        opens_at=opens,
        closes_at=closes,
        pickup_starts_at=pickup,
        pickup_ends_at=pickup + timedelta(days=3),
        created_by=creator,
    )
    db.add(made)
    db.flush()
    db.add_all(RoundPharmacy(round_id=made.id, place_id=place) for place in pharmacies)
    return made


def _apply(
    db: Session,
    round_: MaskRound,
    street: Division,
    own_household: int,
    pharmacies: list[int],
    chooser: random.Random,
) -> None:
    """Applications of the demo resident's household and of others of the street."""
    rows = db.execute(
        select(Household.id, func.min(Resident.id))
        .join(Resident, Resident.household_id == Household.id)
        .join(Division, Division.id == Household.division_id)
        .where(Division.path.startswith(street.path))
        .group_by(Household.id)
        .order_by(Household.id)
        .limit(2000)
    ).all()
    picked = chooser.sample(rows, min(PAST_APPLICATIONS, len(rows)))
    if all(household != own_household for household, _r in picked):
        own = next((row for row in rows if row[0] == own_household), None)
        picked = [*picked[:-1], own] if own else picked
    for household, resident in picked:
        db.add(
            MaskReservation(
                round_id=round_.id,
                household_id=household,
                resident_id=resident,
                place_id=chooser.choice(pharmacies),
                masks=chooser.randint(1, round_.masks_per_household),
                status=ReservationStatus.APPLIED.value,
                created_at=round_.opens_at + timedelta(minutes=chooser.randint(1, 2000)),
            )
        )
    db.flush()

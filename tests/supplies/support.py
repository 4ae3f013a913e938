"""Mask-ordering test data: pharmacies, rounds, many households with resident logins."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal, issue_token
from epicontrol.core.crypto import PersonalDataVault, mask_name
from epicontrol.core.db import utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import Place, PlaceKind
from epicontrol.supplies import rounds
from epicontrol.supplies.models import Allocation, MaskRound
from epicontrol.supplies.schemas import RoundIn
from tests.factories import PASSWORD_HASH, TEST_SECRET, City

# code -> (name, division short name)
PHARMACIES = {
    "PH-M1": ("测试大药房", "m1"),
    "PH-M1B": ("测试第二药房", "m1"),
    "PH-M3": ("测试m3药房", "m3"),
}


def add_pharmacies(db: Session, city: City) -> dict[str, int]:
    """The test city's pharmacies, by code -> place id (committed)."""
    made = {}
    for code, (name, division) in PHARMACIES.items():
        place = Place(
            code=code,
            name=name,
            kind=PlaceKind.PHARMACY.value,
            division_id=city.divisions[division],
            address=f"{name}门口",
        )
        db.add(place)
        db.flush()
        made[code] = place.id
    db.commit()
    return made


def principal(db: Session, username: str) -> Principal:
    """The principal of a test user, as a request would load it."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    found = load_principal(db, user_id)
    assert found is not None
    return found


def open_round(
    db: Session,
    city: City,
    pharmacies: list[int],
    *,
    allocation: Allocation = Allocation.FIRST_COME,
    supply: int = 100,
    quota: int = 5,
    division: str = "m1",
    now: datetime | None = None,
    pickup_from: timedelta = timedelta(hours=-1),
) -> int:
    """A round open now (an hour each side), pickup from `pickup_from` for two days."""
    now = now or utcnow()
    closes = now + timedelta(hours=1)
    data = RoundIn(
        division_id=city.divisions[division],
        title_zh="第一轮口罩预约",
        title_en="Mask round one",
        allocation=allocation,
        masks_per_household=quota,
        supply=supply,
        opens_at=now - timedelta(hours=1),
        closes_at=closes,
        pickup_starts_at=max(now + pickup_from, closes)
        if allocation == Allocation.LOTTERY
        else now + pickup_from,
        pickup_ends_at=now + timedelta(days=2),
        pharmacy_ids=pharmacies,
    )
    made = rounds.open_round(db, principal=principal(db, "admin"), data=data)
    db.commit()
    return made.id


def close_now(db: Session, round_id: int, *, pickup_open: bool = True) -> None:
    """Move a round's closing time into the past (and its pickup window around now)."""
    now = utcnow()
    values: dict[str, datetime] = {"closes_at": now - timedelta(minutes=1)}
    if pickup_open:
        values["pickup_starts_at"] = now - timedelta(minutes=1)
    db.execute(update(MaskRound).where(MaskRound.id == round_id).values(**values))
    db.commit()


def add_households(
    db: Session, vault: PersonalDataVault, city: City, count: int, *, grid: str = "g1"
) -> list[int]:
    """`count` one-person households in a grid, each with a resident login; their user ids."""
    division_id = city.divisions[grid]
    homes = [Household(division_id=division_id) for _ in range(count)]
    db.add_all(homes)
    db.flush()
    people = []
    for number, home in enumerate(homes):
        people.append(
            Resident(
                division_id=division_id,
                household_id=home.id,
                id_number_hash=vault.lookup_hash("id", f"household-test-{number}"),
                id_number_enc=b"",
                name_enc=b"",
                name_masked=mask_name("测试居民"),
                sex="M",
                birth_year=1980,
            )
        )
    db.add_all(people)
    db.flush()
    users = [
        User(
            username=f"household_{home.id}",
            password_hash=PASSWORD_HASH,
            role=Role.RESIDENT.value,
            division_id=division_id,
            resident_id=person.id,
        )
        for home, person in zip(homes, people, strict=True)
    ]
    db.add_all(users)
    db.commit()
    return [user.id for user in users]


def add_member_login(db: Session, city: City, short: str) -> str:
    """A resident login for another member of a test-city household; its username."""
    username = f"resident_{short}"
    db.add(
        User(
            username=username,
            password_hash=PASSWORD_HASH,
            role=Role.RESIDENT.value,
            division_id=city.divisions["g1"],
            resident_id=city.residents[short],
        )
    )
    db.commit()
    return username


def bearer(user_id: int) -> dict[str, str]:
    """Bearer headers for a user without the (deliberately slow) password check."""
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, user_id)}"}


def headers_for(db: Session, username: str) -> dict[str, str]:
    """Bearer headers for a test user by name (login's argon2 check is slow by design)."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    return bearer(user_id)

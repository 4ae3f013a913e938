"""A small hand-made city for tests: every row is known, so tests can assert exact answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.core.auth import hash_password
from epicontrol.core.crypto import PersonalDataVault, id_check_char, mask_name
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import Place, PlaceKind

TEST_SECRET = "test-secret-for-epicontrol-suite"
PASSWORD = "correct-horse-9"
# One argon2 hash for every test user: hashing is deliberately slow.
PASSWORD_HASH = hash_password(PASSWORD)


def resident_id(region: str, birth: str, sequence: int) -> str:
    """A valid 18-character resident ID (GB 11643) for a region code, birth date and sequence."""
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + id_check_char(first17)


@dataclass
class City:
    """Ids of what make_city stored, by short name."""

    divisions: dict[str, int] = field(default_factory=dict)
    residents: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    id_numbers: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    users: dict[str, Role] = field(default_factory=dict)


# name, level, parent, code
_TREE = (
    ("province", DivisionLevel.PROVINCE, None, "410000"),
    ("city", DivisionLevel.CITY, "province", "410100"),
    ("d1", DivisionLevel.DISTRICT, "city", "410102"),
    ("d2", DivisionLevel.DISTRICT, "city", "410103"),
    ("s1", DivisionLevel.STREET, "d1", "410102001"),
    ("s2", DivisionLevel.STREET, "d2", "410103001"),
    ("m1", DivisionLevel.COMMUNITY, "s1", "410102001001"),
    ("m2", DivisionLevel.COMMUNITY, "s1", "410102001002"),
    ("m3", DivisionLevel.COMMUNITY, "s2", "410103001001"),
    ("g1", DivisionLevel.GRID, "m1", "410102001001G01"),
    ("g2", DivisionLevel.GRID, "m1", "410102001001G02"),
    ("g3", DivisionLevel.GRID, "m2", "410102001002G01"),
    ("g4", DivisionLevel.GRID, "m3", "410103001001G01"),
)

# short name, household, grid, name, birth, sequence (odd = man), phone
_PEOPLE = (
    ("wang_father", "h1", "g1", "王建国", "19700312", 11, "13800001111"),
    ("wang_mother", "h1", "g1", "李秀英", "19720805", 22, "13800002222"),
    ("wang_child", "h1", "g1", "王小明", "20100101", 33, "13800003333"),
    ("neighbour", "h2", "g1", "张伟", "19850620", 45, "13900004444"),
    ("m2_resident", "h3", "g3", "刘洋", "19900909", 51, "13700005555"),
    ("m3_resident", "h4", "g4", "陈静", "19951111", 62, "13600006666"),
)

# username, role, scope, resident
_USERS = (
    ("admin", Role.ADMIN, "province", None),
    ("commander", Role.COMMANDER, "city", None),
    ("epidemiologist", Role.EPIDEMIOLOGIST, "d1", None),
    ("officer_m1", Role.COMMUNITY_OFFICER, "m1", None),
    ("officer_m3", Role.COMMUNITY_OFFICER, "m3", None),
    ("gridworker_g1", Role.GRID_WORKER, "g1", None),
    ("checkpoint_m1", Role.CHECKPOINT_OPERATOR, "m1", None),
    ("clinic_s1", Role.CLINIC_STAFF, "s1", None),
    ("agency", Role.AGENCY_LIAISON, "city", None),
    ("enterprise_s1", Role.ENTERPRISE, "s1", None),
    ("inspector", Role.MARKET_INSPECTOR, "city", None),
    ("resident_wang", Role.RESIDENT, "g1", "wang_father"),
    ("resident_zhang", Role.RESIDENT, "g1", "neighbour"),
)


def _add_divisions(db: Session, city: City) -> dict[str, Division]:
    made: dict[str, Division] = {}
    for short, level, parent, code in _TREE:
        division = Division(
            code=code,
            name=f"测试{short}",
            name_pinyin=f"ceshi {short}",
            level=level.value,
            parent_id=made[parent].id if parent else None,
            path="/",
        )
        db.add(division)
        db.flush()
        division.path = f"{made[parent].path if parent else '/'}{division.id}/"
        made[short] = division
        city.divisions[short] = division.id
    return made


def make_city(db: Session, vault: PersonalDataVault) -> City:
    """Store the test city and return its ids (the caller commits)."""
    city = City()
    divisions = _add_divisions(db, city)
    for short, household, grid, name, birth, sequence, phone in _PEOPLE:
        if household not in city.households:
            home = Household(division_id=divisions[grid].id)
            db.add(home)
            db.flush()
            city.households[household] = home.id
        number = resident_id("410102", birth, sequence)
        person = Resident(
            division_id=divisions[grid].id,
            household_id=city.households[household],
            id_number_hash=vault.lookup_hash("id", number),
            id_number_enc=vault.encrypt(number),
            name_enc=vault.encrypt(name),
            name_masked=mask_name(name),
            phone_hash=vault.lookup_hash("phone", phone),
            phone_enc=vault.encrypt(phone),
            sex="M" if sequence % 2 else "F",
            birth_year=int(birth[:4]),
        )
        db.add(person)
        db.flush()
        city.residents[short] = person.id
        city.id_numbers[short], city.phones[short], city.names[short] = number, phone, name
    gate = Place(
        code="GATE-M1",
        name="测试小区东门",
        kind=PlaceKind.COMMUNITY_GATE.value,
        division_id=divisions["m1"].id,
    )
    db.add(gate)
    db.flush()
    for username, role, scope, resident in _USERS:
        db.add(
            User(
                username=username,
                display_name=username,
                password_hash=PASSWORD_HASH,
                role=role.value,
                division_id=divisions[scope].id,
                resident_id=city.residents[resident] if resident else None,
                place_id=gate.id if role == Role.CHECKPOINT_OPERATOR else None,
            )
        )
        city.users[username] = role
    db.flush()
    return city


def login(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers for a test user."""
    response = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}

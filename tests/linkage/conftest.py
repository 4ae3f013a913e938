"""Fixtures of the linkage tests: the test city plus a few dozen residents to link against."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault, mask_name
from epicontrol.people.models import Resident
from tests.factories import City, resident_id

_SURNAMES = "王李张刘陈杨黄赵吴周"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚"


@dataclass(frozen=True)
class Person:
    """A registered resident's identity in clear, as the tests know it."""

    resident_id: int
    name: str
    id_number: str
    phone: str


@pytest.fixture
def register(db: Session, city: City, vault: PersonalDataVault) -> dict[str, Person]:
    """The six residents of the test city and 30 more in d1's grids, by short name."""
    people = {
        short: Person(city.residents[short], city.names[short], city.id_numbers[short], phone)
        for short, phone in city.phones.items()
    }
    grids = [city.divisions[g] for g in ("g1", "g2", "g3")]
    for n in range(30):
        name = _SURNAMES[n % 10] + _GIVEN[(n * 7) % len(_GIVEN)] + _GIVEN[(n * 3 + 1) % len(_GIVEN)]
        number = resident_id("410102", f"{1950 + n}{1 + n % 12:02d}{1 + n % 28:02d}", 100 + n)
        phone = f"1350000{n:04d}"
        resident = Resident(
            division_id=grids[n % 3],
            id_number_hash=vault.lookup_hash("id", number),
            id_number_enc=vault.encrypt(number),
            name_enc=vault.encrypt(name),
            name_masked=mask_name(name),
            phone_hash=vault.lookup_hash("phone", phone),
            phone_enc=vault.encrypt(phone),
            sex="M" if (100 + n) % 2 else "F",
            birth_year=1950 + n,
        )
        db.add(resident)
        db.flush()
        people[f"extra{n}"] = Person(resident.id, name, number, phone)
    db.commit()
    return people

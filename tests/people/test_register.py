"""Registering one resident through the API: bad input is refused and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.people.models import Resident
from tests.factories import City, login, resident_id

GRID_G1 = "410102001001G01"


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Resident)) or 0


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id_number": resident_id("410102", "19880808", 71),
        "name": "赵六",
        "phone": "13512345678",
        "division_code": GRID_G1,
        "occupation": "teacher",
    }
    body.update(overrides)
    return body


def test_officer_registers_a_resident_in_scope(client: TestClient, city: City, db: Session) -> None:
    before = _count(db)
    response = client.post("/api/residents", json=_body(), headers=login(client, "officer_m1"))
    assert response.status_code == 201, response.text
    assert response.json()["name_masked"] == "赵*"
    assert response.json()["sex"] == "M" and response.json()["birth_year"] == 1988
    assert _count(db) == before + 1


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"id_number": "410102198808080710"}, 422, "check digit"),
        ({"id_number": "41010219880808071"}, 422, "18 characters"),
        ({"phone": "999"}, 422, "11-digit"),
        ({"division_code": "NO-SUCH-GRID"}, 404, "does not exist"),
        ({"division_code": "410102001001"}, 422, "not a grid"),
        ({"division_code": "410103001001G01"}, 403, "outside your scope"),
        ({"name": ""}, 422, "name"),
    ],
)
def test_bad_registration_is_refused_and_nothing_is_stored(
    client: TestClient,
    city: City,
    db: Session,
    overrides: dict[str, object],
    status: int,
    message: str,
) -> None:
    before = _count(db)
    response = client.post(
        "/api/residents", json=_body(**overrides), headers=login(client, "officer_m1")
    )
    assert response.status_code == status, response.text
    assert message in str(response.json()["detail"])
    assert _count(db) == before


def test_duplicate_registration_is_a_conflict(client: TestClient, city: City, db: Session) -> None:
    headers = login(client, "officer_m1")
    duplicate = _body(id_number=city.id_numbers["neighbour"])
    before = _count(db)
    response = client.post("/api/residents", json=duplicate, headers=headers)
    assert response.status_code == 409
    assert "already registered" in response.json()["detail"]
    assert _count(db) == before


def test_grid_worker_may_not_register(client: TestClient, city: City) -> None:
    response = client.post("/api/residents", json=_body(), headers=login(client, "gridworker_g1"))
    assert response.status_code == 403

"""Role x division matrix: who may read which resident; each denial a 403 with a reason, audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from tests.factories import City, login

EVERYONE = {"wang_father", "wang_mother", "wang_child", "neighbour", "m2_resident", "m3_resident"}
M1 = {"wang_father", "wang_mother", "wang_child", "neighbour"}

# Which residents each test user may read; everyone else must be refused.
VISIBLE: dict[str, set[str]] = {
    "admin": EVERYONE,
    "commander": EVERYONE,
    "epidemiologist": M1 | {"m2_resident"},  # district d1 only
    "officer_m1": M1,
    "officer_m3": {"m3_resident"},
    "gridworker_g1": M1,
    "checkpoint_m1": set(),  # role may not read residents at all
    "clinic_s1": set(),
    "agency": set(),
    "resident_wang": {"wang_father", "wang_mother", "wang_child"},  # own household
    "resident_zhang": {"neighbour"},
}


def _denials(db: Session, username: str) -> list[AuditEntry]:
    db.expire_all()
    query = select(AuditEntry).where(AuditEntry.actor == username, AuditEntry.outcome == "denied")
    return list(db.scalars(query))


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_each_role_sees_exactly_its_scope(
    username: str, client: TestClient, city: City, db: Session
) -> None:
    headers = login(client, username)
    refused = 0
    for short, resident_id in city.residents.items():
        response = client.get(f"/api/residents/{resident_id}", headers=headers)
        if short in VISIBLE[username]:
            assert response.status_code == 200, (short, response.text)
            assert response.json()["id"] == resident_id
        else:
            assert response.status_code == 403, (short, response.text)
            assert response.json()["detail"], "a denial must say why"
            refused += 1
    assert len(_denials(db, username)) == refused


def test_community_officer_cannot_list_another_community(
    client: TestClient, city: City, db: Session
) -> None:
    headers = login(client, "officer_m1")
    own = client.get(
        "/api/residents", params={"division_id": city.divisions["m1"]}, headers=headers
    )
    assert own.status_code == 200
    assert {r["id"] for r in own.json()} == {city.residents[s] for s in M1}
    other = client.get(
        "/api/residents", params={"division_id": city.divisions["m3"]}, headers=headers
    )
    assert other.status_code == 403
    assert "outside your scope" in other.json()["detail"]
    [denial] = _denials(db, "officer_m1")
    assert denial.entity == "division" and denial.entity_id == str(city.divisions["m3"])


def test_resident_cannot_read_a_neighbour_and_the_refusal_is_audited(
    client: TestClient, city: City, db: Session
) -> None:
    headers = login(client, "resident_wang")
    response = client.get(f"/api/residents/{city.residents['neighbour']}", headers=headers)
    assert response.status_code == 403
    assert "own and their household" in response.json()["detail"]
    [denial] = _denials(db, "resident_wang")
    assert denial.entity_id == str(city.residents["neighbour"])
    assert denial.action == "resident:read"


def test_resident_sees_own_household(client: TestClient, city: City) -> None:
    response = client.get("/api/residents/household", headers=login(client, "resident_wang"))
    assert response.status_code == 200
    assert {r["id"] for r in response.json()} == {
        city.residents[s] for s in ("wang_father", "wang_mother", "wang_child")
    }


def test_identity_needs_a_purpose_and_every_decryption_is_audited(
    client: TestClient, city: City, db: Session
) -> None:
    headers = login(client, "officer_m1")
    target = city.residents["wang_mother"]
    missing = client.get(f"/api/residents/{target}/identity", headers=headers)
    assert missing.status_code == 422
    assert "purpose" in missing.json()["detail"]
    shown = client.get(
        f"/api/residents/{target}/identity",
        headers={**headers, "X-Purpose": "contact tracing call"},
    )
    assert shown.status_code == 200
    assert shown.json() == {
        "id": target,
        "id_number": city.id_numbers["wang_mother"],
        "name": city.names["wang_mother"],
        "phone": city.phones["wang_mother"],
    }
    db.expire_all()
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "decrypt").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert (entry.actor, entry.entity_id, entry.purpose) == (
        "officer_m1",
        str(target),
        "contact tracing call",
    )


def test_grid_worker_may_not_decrypt_identity(client: TestClient, city: City) -> None:
    headers = {**login(client, "gridworker_g1"), "X-Purpose": "visit"}
    response = client.get(
        f"/api/residents/{city.residents['wang_father']}/identity", headers=headers
    )
    assert response.status_code == 403
    assert "grid_worker" in response.json()["detail"]


def test_every_allowed_read_is_audited(client: TestClient, city: City, db: Session) -> None:
    headers = {**login(client, "commander"), "X-Purpose": "daily review"}
    for resident_id in city.residents.values():
        assert client.get(f"/api/residents/{resident_id}", headers=headers).status_code == 200
    db.expire_all()
    reads = db.scalars(
        select(AuditEntry.entity_id).where(
            AuditEntry.actor == "commander", AuditEntry.action == "read"
        )
    ).all()
    assert sorted(reads) == sorted(str(i) for i in city.residents.values())


def test_anonymous_caller_gets_401(client: TestClient, city: City) -> None:
    response = client.get(f"/api/residents/{city.residents['wang_father']}")
    assert response.status_code == 401
    assert "log in" in response.json()["detail"]


def test_forged_token_is_refused(client: TestClient, city: City) -> None:
    headers = {"Authorization": "Bearer eyJ1aWQiOjF9.forged.signature"}
    assert client.get("/api/me", headers=headers).status_code == 401

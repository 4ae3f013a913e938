"""The contacts API: who sees which contacts, follow-up recording, the CSV export and its audit."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import mask_name
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.tracing import service
from epicontrol.tracing.models import Contact, TracingRun
from tests.factories import City
from tests.tracing.store_scenario import NOW, Scenario, bearer, build


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No tracing worker: the scenario is traced by hand, at its own `now`."""
    return settings.model_copy(update={"tracing_in_background": False})


@pytest.fixture
def traced(db: Session, city: City) -> Scenario:
    """The store scenario, traced."""
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    return scenario


def _contact_id(db: Session, city: City, who: str) -> int:
    found = db.scalar(select(Contact.id).where(Contact.contact_resident_id == city.residents[who]))
    assert found is not None
    return found


def _residents(city: City, body: list[dict[str, object]]) -> set[str]:
    names = {v: k for k, v in city.residents.items()}
    return {names[int(str(c["contact_resident_id"]))] for c in body}


def test_officers_see_the_contacts_living_in_their_community(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    m1 = client.get(
        "/api/contacts",
        params={"division_id": city.divisions["m1"]},
        headers=bearer(db, "officer_m1"),
    )
    assert m1.status_code == 200, m1.text
    assert _residents(city, m1.json()) == {"wang_mother", "wang_child", "neighbour"}
    m3 = client.get(
        "/api/contacts",
        params={"division_id": city.divisions["m3"]},
        headers=bearer(db, "officer_m3"),
    )
    [secondary] = m3.json()
    assert _residents(city, [secondary]) == {"m3_resident"}
    assert (secondary["degree"], secondary["place_name"], secondary["via_name_masked"]) == (
        2,
        "测试饭店",
        "张*",
    )


def test_officer_of_another_community_gets_403_and_the_denial_is_audited(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    headers = bearer(db, "officer_m3")
    listed = client.get(
        "/api/contacts", params={"division_id": city.divisions["m1"]}, headers=headers
    )
    assert listed.status_code == 403
    assert "outside your scope" in listed.json()["detail"]
    one = client.get(f"/api/contacts/{_contact_id(db, city, 'neighbour')}", headers=headers)
    assert one.status_code == 403
    db.expire_all()
    denials = db.scalars(
        select(AuditEntry).where(AuditEntry.actor == "officer_m3", AuditEntry.outcome == "denied")
    ).all()
    assert len(denials) == 2


def test_follow_up_teams_list_only_the_contacts_of_a_case_living_in_their_scope(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    """contact:read without case:read (officers, grid workers): a case's list and CSV hold
    only the contacts living in the caller's scope, as the division list does."""
    url = f"/api/cases/{traced.case_id}/contacts"
    m3 = client.get(url, headers=bearer(db, "officer_m3"))
    assert m3.status_code == 200, m3.text
    assert _residents(city, m3.json()) == {"m3_resident"}
    m1 = client.get(url, headers=bearer(db, "officer_m1"))
    assert _residents(city, m1.json()) == {"wang_mother", "wang_child", "neighbour"}
    csv_m3 = client.get(f"{url}.csv", headers=bearer(db, "officer_m3"))
    assert csv_m3.status_code == 200, csv_m3.text
    assert [r["contact_id"] for r in _csv(csv_m3.text)] == [str(m3.json()[0]["id"])]
    nothing = client.get("/api/cases/999999/contacts", headers=bearer(db, "officer_m3"))
    assert nothing.status_code == 404
    assert "no contacts living in your scope" in nothing.json()["detail"]


def test_epidemiologist_lists_every_contact_and_where_and_when(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    response = client.get(
        f"/api/cases/{traced.case_id}/contacts", headers=bearer(db, "epidemiologist")
    )
    assert response.status_code == 200
    body = response.json()
    assert _residents(city, body) == {"wang_mother", "wang_child", "neighbour", "m3_resident"}
    assert all(c["name_masked"].endswith("*") for c in body)
    neighbour = next(c for c in body if c["contact_resident_id"] == city.residents["neighbour"])
    assert (neighbour["rule"], neighbour["place_name"], neighbour["minutes"]) == (
        "co_location",
        "测试超市",
        30,
    )
    detail = client.get(f"/api/contacts/{neighbour['id']}", headers=bearer(db, "gridworker_g1"))
    assert detail.status_code == 200
    [exposure] = detail.json()["exposures"]
    assert exposure["place_name"] == "测试超市"
    assert exposure["start_at"].startswith("2026-02-09T02:10:00")  # 10:10 in China


def test_grid_worker_records_follow_up_in_their_grid_only(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    headers = bearer(db, "gridworker_g1")
    own = client.post(
        f"/api/contacts/{_contact_id(db, city, 'neighbour')}/follow-ups",
        json={"day": "2026-02-12", "temperature": 37.9, "note": "发热 fever"},
        headers=headers,
    )
    assert own.status_code == 201, own.text
    assert own.json()["state"] == "symptomatic"  # a fever overrides the state chosen
    other = client.post(
        f"/api/contacts/{_contact_id(db, city, 'm3_resident')}/follow-ups",
        json={"day": "2026-02-12"},
        headers=headers,
    )
    assert other.status_code == 403


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_csv_has_masked_names_for_roles_without_identity_rights(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    response = client.get(
        f"/api/cases/{traced.case_id}/contacts.csv",
        headers={**bearer(db, "commander"), "X-Purpose": "daily review"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = _csv(response.text)
    assert len(rows) == 4
    contacts = ("wang_mother", "wang_child", "neighbour", "m3_resident")
    expected = sorted(mask_name(city.names[n]) for n in contacts)
    assert sorted(r["name 姓名"] for r in rows) == expected
    assert all(r["phone 电话"] == "" for r in rows)
    assert not any(city.names[n] in response.text for n in city.names)


def test_csv_reveals_identity_to_an_epidemiologist_with_a_purpose_and_audits_it(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    headers = bearer(db, "epidemiologist")
    masked = client.get(f"/api/cases/{traced.case_id}/contacts.csv", headers=headers)
    assert city.names["neighbour"] not in masked.text
    clear = client.get(
        f"/api/cases/{traced.case_id}/contacts.csv",
        params={"purpose": "电话排查 calls"},
        headers=headers,
    )
    rows = {r["name 姓名"]: r for r in _csv(clear.text)}
    assert rows[city.names["neighbour"]]["phone 电话"] == city.phones["neighbour"]
    assert rows[city.names["m3_resident"]]["degree 接触类型"] == "secondary 次密接"
    db.expire_all()
    exports = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
    ).all()
    assert [json.loads(e.detail)["identity"] for e in exports] == [False, True]
    assert exports[1].purpose == "电话排查 calls"
    assert sorted(json.loads(exports[1].detail)["residents"]) == sorted(
        city.residents[n] for n in ("wang_mother", "wang_child", "neighbour", "m3_resident")
    )


def test_quarantining_a_contact_queues_a_new_trace(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    response = client.post(
        f"/api/contacts/{_contact_id(db, city, 'neighbour')}/quarantine",
        json={"quarantined_at": "2026-02-10T12:00:00+08:00"},
        headers=bearer(db, "officer_m1"),
    )
    assert response.status_code == 200, response.text
    db.expire_all()
    queued = db.scalars(select(TracingRun).where(TracingRun.status == "queued")).all()
    assert [r.reason for r in queued] == ["contact quarantined"]

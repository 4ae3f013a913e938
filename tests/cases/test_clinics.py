"""Fever-clinic registration: identity kept hashed and encrypted, residents linked by ID hash
(or later by record linkage), results moving patients into the case list, scope and audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases import clinic_linkage
from epicontrol.cases.models import Case, ClinicRegistration
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.core.errors import Conflict
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.places.models import Place, PlaceKind
from epicontrol.tracing.models import TracingRun
from tests.factories import City, resident_id
from tests.tracing.store_scenario import bearer

URL = "/api/fever-clinic/registrations"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No tracing worker: these tests look at the queue of runs."""
    return settings.model_copy(update={"tracing_in_background": False})


@pytest.fixture
def fever_clinics(db: Session, city: City) -> dict[str, int]:
    """A fever clinic in street s1 (clinic_s1's scope) and one in district d2."""
    places = {
        "s1": Place(
            code="FEVER-S1",
            name="测试发热门诊",
            kind=PlaceKind.FEVER_CLINIC.value,
            division_id=city.divisions["m1"],
        ),
        "d2": Place(
            code="FEVER-D2",
            name="二区发热门诊",
            kind=PlaceKind.FEVER_CLINIC.value,
            division_id=city.divisions["m3"],
        ),
    }
    db.add_all(places.values())
    db.commit()
    return {name: place.id for name, place in places.items()}


def _register(
    client: TestClient, db: Session, user: str = "clinic_s1", **fields: object
) -> dict[str, object]:
    arrived = (utcnow() - timedelta(hours=1)).isoformat()
    body = {
        "clinic_code": "FEVER-S1",
        "name": "王建国",
        "phone": "13800001111",
        "arrived_at": arrived,
        **fields,
    }
    response = client.post(URL, json=body, headers=bearer(db, user))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _result(client: TestClient, db: Session, registration: dict[str, object], result: str) -> dict:
    sampled = (utcnow() - timedelta(minutes=30)).isoformat()
    response = client.post(
        f"{URL}/{registration['id']}/result",
        json={"result": result, "sampled_at": sampled},
        headers=bearer(db, "clinic_s1"),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _case(db: Session, case_id: object) -> Case:
    db.expire_all()
    case = db.get(Case, case_id)
    assert case is not None
    return case


def test_identity_is_stored_only_hashed_and_encrypted_and_the_resident_linked(
    client: TestClient, city: City, db: Session, vault: PersonalDataVault, fever_clinics: dict
) -> None:
    number = city.id_numbers["wang_father"]
    registered = _register(client, db, id_number=number.lower(), temperature=38.2)
    assert registered["resident_id"] == city.residents["wang_father"]
    assert (registered["sex"], registered["birth_date"]) == ("M", "1970-03-12")
    assert registered["name_masked"] == "王**"
    row = db.get(ClinicRegistration, registered["id"])
    assert row is not None and row.id_number_enc is not None
    assert row.id_number_hash == vault.lookup_hash("id", number)
    assert vault.decrypt(row.id_number_enc) == number
    stored = repr([getattr(row, c.key) for c in ClinicRegistration.__table__.columns])
    for clear in (number, "王建国", "13800001111"):
        assert clear not in stored
    headers = bearer(db, "clinic_s1")
    refused = client.get(f"{URL}/{row.id}/identity", headers=headers)
    assert refused.status_code == 422 and "X-Purpose" in refused.json()["detail"]
    identity = client.get(f"{URL}/{row.id}/identity", headers={**headers, "X-Purpose": "recall"})
    assert identity.json() == {
        "id": row.id,
        "id_number": number,
        "name": "王建国",
        "phone": "13800001111",
    }
    client.get(URL, headers=headers)
    db.expire_all()
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "clinic_registration")
    ).all()
    assert sorted(actions) == ["create", "decrypt", "list"]


def test_an_unmatched_registration_waits_for_record_linkage(
    client: TestClient, city: City, db: Session, fever_clinics: dict
) -> None:
    stranger = _register(client, db, id_number=resident_id("110101", "19880101", 17))
    typo = city.id_numbers["neighbour"][:-1] + (
        "0" if city.id_numbers["neighbour"][-1] != "0" else "1"
    )
    mistyped = _register(client, db, id_number=typo, sex="M", birth_date="1985-06-20")
    none_given = _register(client, db, sex="F")
    assert [r["resident_id"] for r in (stranger, mistyped, none_given)] == [None, None, None]
    assert mistyped["is_id_number_valid"] is False
    waiting = clinic_linkage.unlinked_registrations(db)
    assert [r.id for r in waiting] == [stranger["id"], mistyped["id"], none_given["id"]]
    outcome = clinic_linkage.link_registration(
        db,
        registration_id=int(mistyped["id"]),
        resident_id=city.residents["neighbour"],
        actor="linkage",
    )
    assert outcome.change is None and outcome.registration.linked_by == "linkage"
    with pytest.raises(Conflict, match="already linked"):
        clinic_linkage.link_registration(
            db,
            registration_id=int(mistyped["id"]),
            resident_id=city.residents["wang_father"],
            actor="x",
        )
    db.commit()
    waiting = clinic_linkage.unlinked_registrations(db)
    assert [r.id for r in waiting] == [stranger["id"], none_given["id"]]
    assert clinic_linkage.unlinked_registrations(db, after_id=int(stranger["id"])) == [
        db.get(ClinicRegistration, none_given["id"])
    ]


def test_a_positive_result_moves_the_patient_into_the_case_list(
    client: TestClient, city: City, db: Session, fever_clinics: dict
) -> None:
    febrile = _register(
        client,
        db,
        id_number=city.id_numbers["wang_father"],
        temperature=38.5,
        onset_date=str(utcnow().date()),
    )
    well = _register(client, db, id_number=city.id_numbers["neighbour"], temperature=36.6)
    positive = _result(client, db, febrile, "positive")
    assert positive["status"] == "positive"
    confirmed = _case(db, positive["case_id"])
    assert (confirmed.status, confirmed.resident_id) == ("confirmed", city.residents["wang_father"])
    assert confirmed.sampling_date is not None and confirmed.onset_date == utcnow().date()
    asymptomatic = _case(db, _result(client, db, well, "positive")["case_id"])
    assert asymptomatic.status == "asymptomatic"
    runs = db.scalars(select(TracingRun.case_id).where(TracingRun.status == "queued")).all()
    assert sorted(runs) == sorted([confirmed.id, asymptomatic.id])


def test_a_positive_result_confirms_the_patients_suspected_case(
    client: TestClient, city: City, db: Session, fever_clinics: dict
) -> None:
    body = {"resident_id": city.residents["wang_father"], "onset_date": str(utcnow().date())}
    suspected = client.post("/api/cases", json=body, headers=bearer(db, "epidemiologist")).json()
    registered = _register(
        client, db, id_number=city.id_numbers["wang_father"], symptoms=["fever", "dry_cough"]
    )
    assert _result(client, db, registered, "positive")["case_id"] == suspected["id"]
    assert _case(db, suspected["id"]).status == "confirmed"
    assert db.scalar(select(func.count()).select_from(Case)) == 1


def test_a_negative_result_closes_the_registration_and_discards_the_suspected_case(
    client: TestClient, city: City, db: Session, fever_clinics: dict
) -> None:
    body = {"resident_id": city.residents["wang_father"], "onset_date": str(utcnow().date())}
    suspected = client.post("/api/cases", json=body, headers=bearer(db, "epidemiologist")).json()
    registered = _register(client, db, id_number=city.id_numbers["wang_father"])
    negative = _result(client, db, registered, "negative")
    assert (negative["status"], negative["case_id"]) == ("negative", suspected["id"])
    assert _case(db, suspected["id"]).status == "discarded"
    again = client.post(
        f"{URL}/{registered['id']}/result",
        json={"result": "positive"},
        headers=bearer(db, "clinic_s1"),
    )
    assert again.status_code == 409
    nobody = _register(client, db, id_number=city.id_numbers["neighbour"])
    assert _result(client, db, nobody, "negative")["case_id"] is None


def test_a_positive_result_of_an_unlinked_patient_becomes_a_case_once_linked(
    client: TestClient, city: City, db: Session, fever_clinics: dict
) -> None:
    registered = _register(client, db, sex="M", symptoms=["fever"])
    assert _result(client, db, registered, "positive")["case_id"] is None
    assert db.scalar(select(func.count()).select_from(Case)) == 0
    outcome = clinic_linkage.link_registration(
        db,
        registration_id=int(registered["id"]),
        resident_id=city.residents["neighbour"],
        actor="linkage",
    )
    assert outcome.change is not None and outcome.change.needs_tracing
    assert outcome.change.case.status == "confirmed"
    assert outcome.registration.case_id == outcome.change.case.id


def test_bad_input_stores_nothing(
    client: TestClient, city: City, db: Session, fever_clinics: dict
) -> None:
    headers = bearer(db, "clinic_s1")
    later = (utcnow() + timedelta(hours=2)).isoformat()
    bad = [
        ({"temperature": 50}, "not a body temperature"),
        ({"arrived_at": later}, "in the future"),
        ({"symptoms": ["headache!"]}, "unknown symptom"),
        ({"clinic_code": "GATE-M1"}, "no fever clinic"),
        ({"phone": "12345", "sex": "M"}, "11-digit"),
        ({}, "sex is needed"),
    ]
    for fields, message in bad:
        body = {"clinic_code": "FEVER-S1", "name": "某某", **fields}
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == 422, fields
        assert message in response.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ClinicRegistration)) == 0
    registered = _register(client, db, sex="F")
    no_sample = client.post(
        f"{URL}/{registered['id']}/result", json={"result": "positive"}, headers=headers
    )
    assert no_sample.status_code == 422 and "sampled_at" in no_sample.json()["detail"]


def test_who_may_register_and_read(
    client: TestClient, city: City, db: Session, fever_clinics: dict
) -> None:
    body = {"clinic_code": "FEVER-D2", "name": "某某", "sex": "F"}
    outside = client.post(URL, json=body, headers=bearer(db, "clinic_s1"))
    assert outside.status_code == 403 and "outside your scope" in outside.json()["detail"]
    in_d2 = client.post(URL, json=body, headers=bearer(db, "admin")).json()
    own = _register(client, db, sex="M")
    epidemiologist = bearer(db, "epidemiologist")  # district d1
    listed = client.get(URL, headers=epidemiologist).json()
    assert [r["id"] for r in listed] == [own["id"]]
    assert client.get(f"{URL}/{in_d2['id']}", headers=epidemiologist).status_code == 403
    assert (
        client.post(
            URL, json={**body, "clinic_code": "FEVER-S1"}, headers=epidemiologist
        ).status_code
        == 403
    )
    assert client.get(URL, headers=bearer(db, "officer_m1")).status_code == 403
    clinics_seen = client.get("/api/fever-clinic/clinics", headers=bearer(db, "clinic_s1")).json()
    assert [c["code"] for c in clinics_seen] == ["FEVER-S1"]

"""A fever-clinic patient whose ID number was mistyped reaches the case list through linkage."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.linkage.models import LinkageRecord
from epicontrol.cases.models import Case, ClinicRegistration
from epicontrol.core.db import utcnow
from epicontrol.places.models import Place, PlaceKind
from tests.factories import City, login
from tests.linkage.conftest import Person

REGISTRATIONS = "/api/fever-clinic/registrations"


def _swap_two_digits(number: str) -> str:
    return number[:10] + number[11] + number[10] + number[12:]


def test_mistyped_patient_is_linked_and_their_positive_result_becomes_a_case(
    client: TestClient, db: Session, city: City, register: dict[str, Person]
) -> None:
    db.add(
        Place(
            code="FEVER-S1",
            name="测试发热门诊",
            kind=PlaceKind.FEVER_CLINIC.value,
            division_id=city.divisions["m1"],
        )
    )
    db.commit()
    patient = register["extra4"]
    typed = _swap_two_digits(patient.id_number)
    assert typed != patient.id_number
    clinic = login(client, "clinic_s1")
    registered = client.post(
        REGISTRATIONS,
        headers=clinic,
        json={
            "clinic_code": "FEVER-S1",
            "name": patient.name,
            "phone": patient.phone,
            "id_number": typed,
            "sex": "M" if int(patient.id_number[16]) % 2 else "F",
            "symptoms": ["fever"],
            "temperature": 38.4,
            "arrived_at": (utcnow() - timedelta(hours=2)).isoformat(),
        },
    )
    assert registered.status_code == 201, registered.text
    registration_id = registered.json()["id"]
    assert registered.json()["resident_id"] is None
    positive = client.post(
        f"{REGISTRATIONS}/{registration_id}/result",
        headers=clinic,
        json={"result": "positive", "sampled_at": (utcnow() - timedelta(hours=1)).isoformat()},
    )
    assert positive.status_code == 200 and positive.json()["case_id"] is None
    [queued] = db.scalars(select(LinkageRecord).where(LinkageRecord.source_id == registration_id))
    assert queued.source == "clinic_registration"

    run = client.post("/api/linkage/runs", headers=login(client, "epidemiologist"))
    assert run.status_code == 201, run.text
    assert run.json()["auto_linked"] == 1

    db.expire_all()
    registration = db.get(ClinicRegistration, registration_id)
    assert registration is not None and registration.resident_id == patient.resident_id
    case = db.scalar(select(Case).where(Case.resident_id == patient.resident_id))
    assert case is not None and case.status == "confirmed"
    assert registration.case_id == case.id

"""Cases pages: the line list with travel histories, the investigation form, and fever-clinic
registration, each scoped and posting back without script."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case, ClinicRegistration, Investigation
from epicontrol.core.db import utcnow
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.places.models import Place, PlaceKind
from tests.factories import City
from tests.tracing.store_scenario import add_places, bearer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No tracing worker: the pages' writes are looked at directly."""
    return settings.model_copy(update={"tracing_in_background": False})


def _local(hours_ago: float) -> str:
    moment = utcnow() - timedelta(hours=hours_ago)
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M")


def _case(client: TestClient, db: Session, who: int, user: str = "epidemiologist") -> int:
    body = {"resident_id": who, "onset_date": str(utcnow().date() - timedelta(days=1))}
    response = client.post("/api/cases", json=body, headers=bearer(db, user))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_the_investigation_form_saves_and_the_line_list_shows_the_travel(
    client: TestClient, city: City, db: Session
) -> None:
    add_places(db, city)
    db.commit()
    case_id = _case(client, db, city.residents["neighbour"])
    other = _case(client, db, city.residents["m3_resident"], user="admin")
    headers = bearer(db, "epidemiologist")
    page = client.get(f"/cases/{case_id}", headers=headers)
    assert page.status_code == 200 and 'name="travel-0-place_code"' in page.text
    form = {
        "exposure_summary": "同事聚餐",
        "symptoms": ["fever", "fatigue"],
        "travel-0-place_code": "MKT-M1",
        "travel-0-start": _local(30),
        "travel-0-end": _local(29),
        "travel-1-place_name": "街角面馆",
        "travel-1-address": "测试路 8 号",
        "travel-1-start": _local(20),
        "travel-1-end": _local(19.5),
        "travel-2-start": "",
    }
    saved = client.post(
        f"/cases/{case_id}/investigation", data=form, headers=headers, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    again = client.get(f"/cases/{case_id}", headers=headers)
    assert "同事聚餐" in again.text and 'value="街角面馆"' in again.text
    listed = client.get("/cases", headers=headers)
    assert listed.status_code == 200
    assert "测试超市" in listed.text and "街角面馆" in listed.text
    assert f'data-case="{other}"' not in listed.text, "a case of district d2"
    assert (
        f'data-case="{case_id}"' not in client.get("/cases?status=discarded", headers=headers).text
    )
    assert client.get(f"/cases/{other}", headers=headers).status_code == 403
    db.expire_all()
    assert db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "list")
    )


def test_a_bad_form_comes_back_with_the_error_and_stores_nothing(
    client: TestClient, city: City, db: Session
) -> None:
    case_id = _case(client, db, city.residents["neighbour"])
    form = {
        "exposure_summary": "x",
        "travel-0-place_name": "新店",
        "travel-0-start": _local(2),
        "travel-0-end": _local(3),
    }
    headers = bearer(db, "epidemiologist")
    response = client.post(f"/cases/{case_id}/investigation", data=form, headers=headers)
    assert response.status_code == 422
    assert "ended_at must be after started_at" in response.text
    assert 'value="新店"' in response.text, "what was typed is kept"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Investigation)) == 0
    assert db.scalar(select(Place.id).where(Place.name == "新店")) is None


def test_clinic_staff_register_a_patient_and_record_a_positive_result(
    client: TestClient, city: City, db: Session
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
    headers = bearer(db, "clinic_s1")
    page = client.get("/fever-clinic", headers=headers)
    assert page.status_code == 200 and 'value="FEVER-S1"' in page.text
    form = {
        "clinic_code": "FEVER-S1",
        "id_number": city.id_numbers["neighbour"],
        "name": "张伟",
        "phone": "13900004444",
        "temperature": "38.4",
        "symptoms": ["fever"],
        "arrived_at": _local(1),
    }
    registered = client.post(
        "/fever-clinic/register", data=form, headers=headers, follow_redirects=False
    )
    assert registered.status_code == 303, registered.text
    db.expire_all()
    row = db.scalar(select(ClinicRegistration))
    assert row is not None and row.resident_id == city.residents["neighbour"]
    listed = client.get("/fever-clinic", headers=headers).text
    assert "张*" in listed and "张伟" not in listed
    result = client.post(
        f"/fever-clinic/{row.id}/result",
        data={"result": "positive"},
        headers=headers,
        follow_redirects=False,
    )
    assert result.status_code == 303, result.text
    db.expire_all()
    case = db.scalar(select(Case))
    assert case is not None and (case.status, case.resident_id) == ("confirmed", row.resident_id)
    bad = client.post("/fever-clinic/register", data={**form, "temperature": "55"}, headers=headers)
    assert bad.status_code == 422 and "not a body temperature" in bad.text


def test_pages_need_the_right_role(client: TestClient, city: City, db: Session) -> None:
    case_id = _case(client, db, city.residents["neighbour"])
    read_only = client.get(f"/cases/{case_id}", headers=bearer(db, "commander"))
    assert read_only.status_code == 200 and "exposure_summary" not in read_only.text
    assert client.get("/fever-clinic", headers=bearer(db, "officer_m1")).status_code == 403
    assert client.get("/cases", headers=bearer(db, "gridworker_g1")).status_code == 403
    anonymous = client.get("/cases", headers={"Accept": "text/html"}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

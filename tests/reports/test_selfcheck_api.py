"""Self-checks over the API: advice with reasons and the nearest fever clinic named, a resident's
check stored, an anonymous one not, bad input refused, and fever reports cleared by officers."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.core.models import AuditEntry
from epicontrol.divisions.models import HousingEstate
from epicontrol.movements.models import RiskArea
from epicontrol.people.models import Household
from epicontrol.places.models import Place, PlaceKind
from epicontrol.reports.models import SelfCheck
from tests.factories import City, login

# The Wang household lives at 34.750, 113.650; the near clinic is ~1 km away, the far one ~11 km.
HOME = (34.750, 113.650)


def _today() -> date:
    """Today as a China date (a day ahead of UTC for 8 hours of the day), read per test: a
    module constant went stale when a run crossed local midnight."""
    return local_date(utcnow())


@pytest.fixture
def clinics(db: Session, city: City) -> dict[str, int]:
    """Two designated fever clinics, an ordinary clinic nearer than both, and Wang's estate."""
    estate = HousingEstate(
        name="测试花园", division_id=city.divisions["g1"], latitude=HOME[0], longitude=HOME[1]
    )
    db.add(estate)
    db.flush()
    db.get(Household, city.households["h1"]).estate_id = estate.id  # type: ignore[union-attr]
    rows = {
        "near": ("FC-NEAR", "近郊医院发热门诊", PlaceKind.FEVER_CLINIC, "m1", 34.759, 113.650),
        "far": ("FC-FAR", "远郊医院发热门诊", PlaceKind.FEVER_CLINIC, "m3", 34.850, 113.650),
        "plain": ("CL-1", "社区卫生服务站", PlaceKind.CLINIC, "g1", 34.7501, 113.6501),
    }
    made = {}
    for key, (code, name, kind, division, lat, lon) in rows.items():
        place = Place(
            code=code,
            name=name,
            kind=kind.value,
            division_id=city.divisions[division],
            address=f"{name}地址",
            latitude=lat,
            longitude=lon,
        )
        db.add(place)
        db.flush()
        made[key] = place.id
    db.commit()
    return made


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(SelfCheck)) or 0


def test_resident_with_danger_sign_is_told_to_call_120(
    client: TestClient, db: Session, city: City, clinics: dict[str, int]
) -> None:
    body = {"temperature": 37.0, "symptoms": ["chest_pain", "cough"]}
    response = client.post("/api/self-checks", json=body, headers=login(client, "resident_wang"))
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["triage"] == "emergency" and out["emergency_number"] == "120"
    assert "chest pain" in out["reasons"][0]
    assert out["clinic"] is None
    stored = db.scalars(select(SelfCheck)).one()
    assert (stored.triage, stored.fever, stored.symptoms) == (
        "emergency",
        False,
        "chest_pain,cough",
    )


def test_resident_with_fever_is_sent_to_the_nearest_fever_clinic_and_stored_as_fever(
    client: TestClient, db: Session, city: City, clinics: dict[str, int]
) -> None:
    body = {"temperature": 38.2, "symptoms": []}
    response = client.post("/api/self-checks", json=body, headers=login(client, "resident_wang"))
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["triage"] == "fever_clinic" and out["fever"] is True
    assert out["clinic"]["place_id"] == clinics["near"]
    assert out["clinic"]["distance_km"] == pytest.approx(1.0, abs=0.05)
    assert out["reasons"][0].startswith("体温 38.2 °C ≥ 37.3 °C")
    assert "近郊医院发热门诊" in out["reasons"][-1]
    stored = db.scalars(select(SelfCheck)).one()
    assert stored.resident_id == city.residents["wang_father"]
    assert (stored.fever, stored.triage, stored.cleared_at) == (True, "fever_clinic", None)
    assert stored.clinic_place_id == clinics["near"]
    assert json.loads(stored.reasons) == out["reasons"]
    mine = client.get("/api/self-checks/mine", headers=login(client, "resident_wang")).json()
    assert [c["id"] for c in mine] == [out["id"]]
    assert mine[0]["clinic"]["name"] == "近郊医院发热门诊"


def test_resident_without_symptoms_is_told_to_stay_home(
    client: TestClient, db: Session, city: City, clinics: dict[str, int]
) -> None:
    body = {"temperature": 36.6, "exposures": ["gathering"]}
    response = client.post("/api/self-checks", json=body, headers=login(client, "resident_zhang"))
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["triage"] == "home" and out["fever"] is False
    assert "report daily" in out["advice"] and "a gathering" in out["reasons"][0]
    assert db.scalars(select(SelfCheck)).one().fever is False


def test_travel_through_a_declared_risk_area_counts_as_an_exposure(
    client: TestClient, db: Session, city: City, clinics: dict[str, int]
) -> None:
    db.add(
        RiskArea(
            region_code="4201",
            name="武汉市",
            starts_on=_today() - timedelta(days=30),
            created_by="commander",
        )
    )
    db.commit()
    trip = {"place": "武汉 Wuhan", "region_code": "420106", "on": str(_today() - timedelta(3))}
    body = {"temperature": 36.7, "symptoms": ["headache"], "travel": [trip]}
    response = client.post("/api/self-checks", json=body, headers=login(client, "resident_wang"))
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["triage"] == "fever_clinic"
    assert "headache" in out["reasons"][0] and "武汉市" in out["reasons"][0]
    stored = db.scalars(select(SelfCheck)).one()
    assert json.loads(stored.travel)[0]["region_code"] == "420106"


def test_anonymous_self_check_names_the_clinic_nearest_the_caller_and_stores_nothing(
    client: TestClient, db: Session, city: City, request: pytest.FixtureRequest
) -> None:
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    out = client.post("/api/public/self-check", json={"temperature": 38.0}).json()
    assert out["triage"] == "fever_clinic" and out["clinic"] is None
    assert "12320" in out["reasons"][-1], "no clinic recorded: the hotline is named instead"
    clinics: dict[str, int] = request.getfixturevalue("clinics")
    body = {"temperature": 37.9, "location": {"latitude": 34.86, "longitude": 113.65}}
    response = client.post("/api/public/self-check", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["triage"] == "fever_clinic" and out["clinic"]["place_id"] == clinics["far"]
    # By division only (no coordinates recorded for divisions): a clinic within the area.
    body = {"symptoms": ["cough"], "location": {"division_id": city.divisions["m3"]}}
    out = client.post("/api/public/self-check", json=body).json()
    assert out["clinic"]["place_id"] == clinics["far"] and out["clinic"]["distance_km"] is None
    assert _count(db) == 0
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits


def _bad_bodies() -> list[dict[str, object]]:
    today = _today()
    return [
        {"temperature": 29.9},
        {"temperature": 45.1},
        {"temperature": "hot"},
        {"symptoms": ["sneezing"]},
        {"exposures": ["bat_market"]},
        {"temperature": 37.0, "diagnosis": "flu"},
        {"travel": [{"place": "x", "on": str(today + timedelta(days=1))}]},
        {"travel": [{"place": "x", "on": str(today - timedelta(days=20))}]},
        {"travel": [{"place": "x", "region_code": "abc", "on": str(today)}]},
        {"travel": [{"place": "x", "on": str(today)}] * 11},
    ]


def test_bad_self_check_is_refused_and_nothing_stored(
    client: TestClient, db: Session, city: City
) -> None:
    headers = login(client, "resident_wang")
    for body in _bad_bodies():
        response = client.post("/api/self-checks", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert client.post("/api/public/self-check", json=body).status_code == 422, body
    big = {"temperature": 37.0, "travel": [{"place": "x" * 20_000, "on": str(_today())}]}
    response = client.post("/api/self-checks", json=big, headers=headers)
    assert response.status_code == 413 and "bytes" in response.json()["detail"]
    half = client.post("/api/public/self-check", json={"location": {"latitude": 34.7}})
    assert half.status_code == 422 and "both" in half.json()["detail"]
    unknown = client.post("/api/public/self-check", json={"location": {"division_id": 999}})
    assert unknown.status_code == 422 and "999" in unknown.json()["detail"]
    staff = client.post("/api/self-checks", json={}, headers=login(client, "officer_m1"))
    assert staff.status_code == 403, "only residents file self-checks"
    assert _count(db) == 0


def _fever_check(client: TestClient) -> int:
    body = {"temperature": 38.0}
    response = client.post("/api/self-checks", json=body, headers=login(client, "resident_wang"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_officer_clears_a_fever_report_once_and_it_is_audited(
    client: TestClient, db: Session, city: City
) -> None:
    check_id = _fever_check(client)
    officer = login(client, "officer_m1")
    listed = client.get("/api/self-checks/fevers", headers=officer).json()
    assert [(c["id"], c["name_masked"]) for c in listed] == [(check_id, "王**")]
    response = client.post(
        f"/api/self-checks/{check_id}/clear",
        json={"note": "核酸阴性 negative test"},
        headers=officer,
    )
    assert response.status_code == 200, response.text
    assert response.json()["cleared_by"] == "officer_m1"
    db.expire_all()
    stored = db.get(SelfCheck, check_id)
    assert stored is not None and stored.cleared_at is not None
    assert (stored.cleared_by, stored.clear_note) == ("officer_m1", "核酸阴性 negative test")
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "self_check", AuditEntry.action == "clear")
    ).one()
    assert (entry.actor, entry.entity_id) == ("officer_m1", str(check_id))
    again = client.post(
        f"/api/self-checks/{check_id}/clear", json={"note": "again"}, headers=officer
    )
    assert again.status_code == 409
    assert client.get("/api/self-checks/fevers", headers=officer).json() == []
    healthy = client.post(
        "/api/self-checks", json={"temperature": 36.5}, headers=login(client, "resident_wang")
    ).json()["id"]
    response = client.post(
        f"/api/self-checks/{healthy}/clear", json={"note": "x1"}, headers=officer
    )
    assert response.status_code == 422, "a check without fever has nothing to clear"


def test_clearing_is_scoped_and_needs_the_monitoring_permission(
    client: TestClient, db: Session, city: City
) -> None:
    check_id = _fever_check(client)
    note = {"note": "checked"}
    outside = client.post(
        f"/api/self-checks/{check_id}/clear", json=note, headers=login(client, "officer_m3")
    )
    assert outside.status_code == 403
    assert client.get("/api/self-checks/fevers", headers=login(client, "officer_m3")).json() == []
    for user in ("resident_wang", "gridworker_g1"):
        denied = client.post(
            f"/api/self-checks/{check_id}/clear", json=note, headers=login(client, user)
        )
        assert denied.status_code == 403, user
    db.expire_all()
    assert db.get(SelfCheck, check_id).cleared_at is None  # type: ignore[union-attr]
    denials = db.scalars(
        select(AuditEntry.actor).where(
            AuditEntry.outcome == "denied", AuditEntry.entity == "self_check"
        )
    ).all()
    assert "officer_m3" in denials


def test_fever_self_check_turns_risk_status_yellow_until_cleared(
    client: TestClient, city: City
) -> None:
    """The contract with risk status (health_code): a fever here is evidence until cleared."""
    wang = login(client, "resident_wang")
    check_id = _fever_check(client)
    status = client.get("/api/risk-status/me", headers=wang).json()
    assert status["colour"] == "yellow", status
    assert [(e["source_table"], e["source_id"]) for e in status["evidence"] if e["counts"]] == [
        ("self_checks", check_id)
    ]
    note = {"note": "发热门诊排除 ruled out at the fever clinic"}
    officer = login(client, "officer_m1")
    assert client.post(f"/api/self-checks/{check_id}/clear", json=note, headers=officer).is_success
    assert client.get("/api/risk-status/me", headers=wang).json()["colour"] == "green"

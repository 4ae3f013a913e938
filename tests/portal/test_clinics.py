"""Public fever clinics: nearest first, opening hours, the queue estimate, bad input."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import RegistrationStatus
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.portal import clinics
from epicontrol.portal.consultation_models import ClinicOpeningHours, ClinicProfile
from tests.factories import City, login
from tests.portal.test_clinics_setup import CLINICS, add_clinics, add_registration


def _cosine_law_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the spherical law of cosines: a second formula to check the
    haversine ranking against."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0088 * math.acos(min(1.0, cosine))


def test_clinics_are_ranked_nearest_first_and_bad_locations_refused(
    client: TestClient, db: Session, city: City
) -> None:
    ids = add_clinics(db, city)
    for lat, lon in ((34.755, 113.690), (34.752, 113.570), (34.840, 113.650)):
        body = client.get(f"/api/public/clinics?lat={lat}&lon={lon}").json()
        listed = [c["code"] for c in body["clinics"]]
        expected = sorted(CLINICS, key=lambda c: _cosine_law_km(lat, lon, c[3], c[4]))
        assert listed[:3] == [c[0] for c in expected]
        assert listed[3] == "FC-NOWHERE"  # no coordinates: last, without a distance
        assert body["clinics"][3]["distance_km"] is None
        assert "CLINIC-PLAIN" not in listed  # a plain clinic is not a fever clinic
        assert body["nearest_place_id"] == ids[expected[0][0]]
        nearest = body["clinics"][0]
        assert nearest["distance_km"] == round(
            _cosine_law_km(lat, lon, expected[0][3], expected[0][4]), 2
        )
    # A division without coordinates names a clinic inside it (FC-WEST is in m3).
    body = client.get(f"/api/public/clinics?division_id={city.divisions['m3']}").json()
    assert body["nearest_place_id"] == ids["FC-WEST"]
    # Bad locations are refused with a message.
    assert client.get("/api/public/clinics?lat=34.7").status_code == 422
    assert client.get("/api/public/clinics?lat=134.7&lon=113").status_code == 422
    assert client.get("/api/public/clinics?estate_id=999").status_code == 422
    page = client.get("/public/clinics?lat=abc&lon=113&lang=en")
    assert page.status_code == 422 and "is not a number" in page.text
    page = client.get("/public/clinics?lat=34.7&lang=en")
    assert page.status_code == 422 and "both latitude and longitude" in page.text
    page = client.get("/public/clinics?lat=34.7&lang=zh")
    assert page.status_code == 422 and "无法识别位置" in page.text


def test_clinic_page_marks_the_nearest_in_both_languages(
    client: TestClient, db: Session, city: City
) -> None:
    add_clinics(db, city)
    page = client.get("/public/clinics?lat=34.752&lon=113.570&lang=en")
    assert page.status_code == 200
    assert 'id="clinic-map"' in page.text and "/static/vendor/plotly.min.js" in page.text
    nearest = page.text.split('class="clinic nearest"')[1].split("</li>")[0]
    assert "西区中心医院发热门诊" in nearest and "Nearest" in nearest
    assert "times 15 minutes per patient" in page.text
    page = client.get("/public/clinics?lat=34.752&lon=113.570&lang=zh")
    assert "指定发热门诊" in page.text and "最近" in page.text and "排队估计" in page.text


WEEK = {
    "phone": "0371-12345678",
    "weekly": [{"weekday": day, "opens_at": "08:00", "closes_at": "22:00"} for day in range(5)]
    + [{"weekday": 5, "opens_at": "20:00", "closes_at": "02:00"}],  # Saturday night to Sunday
}


def test_officer_sets_hours_others_are_refused(client: TestClient, db: Session, city: City) -> None:
    add_clinics(db, city)
    officer = login(client, "officer_m1")
    response = client.put("/api/clinics/FC-EAST/hours", json=WEEK, headers=officer)
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "0371-12345678"
    assert len(response.json()["weekly"]) == 6
    # Replacing keeps one row per weekday; 24 hours needs no weekly rows.
    response = client.put("/api/clinics/FC-EAST/hours", json={"is_open_24h": True}, headers=officer)
    assert response.json()["is_open_24h"] is True and response.json()["is_open_now"] is True
    clinic = db.scalar(select(ClinicProfile).where(ClinicProfile.place_id.is_not(None)))
    assert clinic is not None and clinic.updated_by == "officer_m1"
    assert db.scalar(select(func.count()).select_from(ClinicOpeningHours)) == 0
    listed = client.get("/api/public/clinics").json()["clinics"]
    east = next(c for c in listed if c["code"] == "FC-EAST")
    assert east["is_open_24h"] is True and east["phone"] == ""
    # Bad input, another area's clinic, a resident: refused, the stored hours untouched.
    assert client.put("/api/clinics/FC-EAST/hours", json=WEEK, headers=officer).status_code == 200
    bad_days = {"weekly": [{"weekday": 7, "opens_at": "08:00", "closes_at": "20:00"}]}
    twice = {"weekly": [{"weekday": 1, "opens_at": "08:00", "closes_at": "20:00"}] * 2}
    for body in (bad_days, twice, {"weekly": []}, {"phone": "call me", "is_open_24h": True}):
        response = client.put("/api/clinics/FC-EAST/hours", json=body, headers=officer)
        assert response.status_code == 422, body
    assert len(db.scalars(select(ClinicOpeningHours)).all()) == 6  # untouched
    outside = client.put("/api/clinics/FC-WEST/hours", json=WEEK, headers=officer)
    assert outside.status_code == 403  # m3 is not in officer_m1's scope
    resident = login(client, "resident_wang")
    assert client.put("/api/clinics/FC-EAST/hours", json=WEEK, headers=resident).status_code == 403
    assert client.put("/api/clinics/NOPE/hours", json=WEEK, headers=officer).status_code == 404


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 2026-11-30, China time."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=LOCAL_TIME) + timedelta(days=day)


def test_open_now_follows_weekly_hours_across_midnight() -> None:
    weekly = {0: (time(8), time(22)), 5: (time(20), time(2))}
    cases = (
        (_local(0, 7, 59), False),
        (_local(0, 8), True),
        (_local(0, 21, 59), True),
        (_local(0, 22), False),
        (_local(1, 12), False),  # Tuesday: no hours
        (_local(5, 19), False),
        (_local(5, 23), True),  # Saturday night
        (_local(6, 1, 30), True),  # Sunday small hours: Saturday's opening
        (_local(6, 2), False),
    )
    for moment, expected in cases:
        assert clinics.is_open(weekly, is_open_24h=False, moment=moment) is expected, moment
    assert clinics.is_open({}, is_open_24h=False, moment=_local(0, 9)) is None
    assert clinics.is_open({}, is_open_24h=True, moment=_local(0, 3)) is True


def test_queue_estimate_is_todays_waiting_patients_times_minutes(
    client: TestClient, db: Session, city: City
) -> None:
    ids = add_clinics(db, city)
    now = datetime.now(UTC)
    start_of_day = datetime.combine(now.astimezone(LOCAL_TIME).date(), time.min, LOCAL_TIME)
    waiting, sampled = RegistrationStatus.WAITING.value, RegistrationStatus.SAMPLED.value
    made = [
        ("FC-EAST", start_of_day, waiting),
        ("FC-EAST", now - timedelta(seconds=1), waiting),
        ("FC-EAST", now - timedelta(seconds=2), waiting),
        ("FC-EAST", now - timedelta(seconds=3), sampled),
        ("FC-EAST", start_of_day - timedelta(seconds=1), waiting),  # yesterday, still waiting
        ("FC-WEST", now - timedelta(seconds=1), waiting),
        ("FC-WEST", now - timedelta(seconds=1), RegistrationStatus.NEGATIVE.value),
    ]
    for code, arrived, status in made:
        add_registration(
            db,
            place_id=ids[code],
            division_id=city.divisions["m1"],
            arrived_at=arrived,
            status=status,
        )
    db.commit()
    expected = {
        code: sum(
            1 for c, arrived, s in made if c == code and s == waiting and arrived >= start_of_day
        )
        for code in ("FC-EAST", "FC-WEST", "FC-NORTH")
    }
    assert expected == {"FC-EAST": 3, "FC-WEST": 1, "FC-NORTH": 0}
    body = client.get("/api/public/clinics").json()
    assert body["minutes_per_patient"] == clinics.MINUTES_PER_PATIENT
    for clinic in body["clinics"]:
        if clinic["code"] in expected:
            assert clinic["waiting"] == expected[clinic["code"]]
            assert clinic["queue_minutes"] == expected[clinic["code"]] * clinics.MINUTES_PER_PATIENT
    page = client.get("/public/clinics?lang=en")
    assert f"Waiting: 3, about {3 * clinics.MINUTES_PER_PATIENT} min" in page.text


def test_demo_seed_gives_every_clinic_hours_once(db: Session, city: City) -> None:
    from epicontrol.portal.clinics_demo import seed_demo

    ids = add_clinics(db, city)
    seed_demo(db)
    db.commit()
    profiles = {p.place_id: p for p in db.scalars(select(ClinicProfile))}
    assert set(profiles) == {ids[code] for code in ("FC-EAST", "FC-WEST", "FC-NORTH", "FC-NOWHERE")}
    hours = db.scalar(select(func.count()).select_from(ClinicOpeningHours))
    assert hours == 7 * sum(1 for p in profiles.values() if not p.is_open_24h)
    phones = {p.place_id: p.phone for p in profiles.values()}
    seed_demo(db)  # a second run leaves the clinics as they are
    db.commit()
    assert db.scalar(select(func.count()).select_from(ClinicOpeningHours)) == hours
    assert {p.place_id: p.phone for p in db.scalars(select(ClinicProfile))} == phones

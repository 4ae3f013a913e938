"""Labour matching over HTTP: the API flow (post, apply, rank, propose, accept, confirm) with
each role's guard, clear 4xx answers that store nothing, and the three pages."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.labour.models import LabourApplication, LabourNeed
from tests.factories import City
from tests.health_code.records import add_fever
from tests.labour.support import headers_for, offer_work, place_city, post_need


def _need_json(city: City, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "division_id": city.divisions["m1"],
        "title": "缝纫工",
        "skills": ["sewing_machine_operator"],
        "positions": 2,
        "shift": "day",
        "days": ["mon", "tue"],
        "start_date": (local_date(utcnow()) + timedelta(days=2)).isoformat(),
        "pay_yuan_per_day": 240,
        "latitude": 28.97,
        "longitude": 118.87,
    }
    body.update(changes)
    return body


def test_api_flow_from_need_to_confirmed_hire(client: TestClient, db: Session, city: City) -> None:
    place_city(db, city)
    employer, officer = headers_for(db, "enterprise_s1"), headers_for(db, "officer_m1")
    resident = headers_for(db, "resident_wang")
    posted = client.post("/api/labour/needs", json=_need_json(city), headers=employer)
    assert posted.status_code == 201, posted.text
    need = posted.json()
    assert need["employer_name"] == "enterprise_s1" and need["skill_labels"]
    offer = {"skills": ["sewing_machine_operator"], "shifts": ["day"], "days": ["mon"],
             "max_distance_km": 15}  # fmt: skip
    assert client.put("/api/labour/profile", json=offer, headers=resident).status_code == 200
    jobs = client.get("/api/labour/jobs", headers=resident).json()
    assert [j["id"] for j in jobs] == [need["id"]] and jobs[0]["distance_km"] < 1
    applied = client.post(f"/api/labour/jobs/{need['id']}/apply", headers=resident)
    assert applied.status_code == 201 and applied.json()["status"] == "applied"
    again = client.post(f"/api/labour/jobs/{need['id']}/apply", headers=resident)
    assert again.status_code == 409
    ranked = client.get(f"/api/labour/needs/{need['id']}/candidates", headers=officer).json()
    assert ranked[0]["resident_id"] == city.residents["wang_father"]
    assert ranked[0]["application_status"] == "applied"
    proposal = {"resident_id": city.residents["wang_father"]}
    made = client.post(f"/api/labour/needs/{need['id']}/proposals", json=proposal, headers=officer)
    assert made.status_code == 201 and made.json()["status"] == "proposed"
    application_id = made.json()["id"]
    seen = client.get(f"/api/labour/needs/{need['id']}/applications", headers=employer).json()
    assert seen[0]["phone"] is None and seen[0]["name"] != city.names["wang_father"]
    accepted = client.post(f"/api/labour/applications/{application_id}/accept", headers=employer)
    assert accepted.json()["status"] == "accepted"
    confirmed = client.post(f"/api/labour/applications/{application_id}/confirm", headers=resident)
    assert confirmed.json()["status"] == "confirmed"
    seen = client.get(f"/api/labour/needs/{need['id']}/applications", headers=employer).json()
    assert (seen[0]["name"], seen[0]["phone"]) == (
        city.names["wang_father"],
        city.phones["wang_father"],
    )
    figures = client.get("/api/labour/figures", headers=officer).json()
    assert figures["filled"] == 1 and figures["confirmed"] == 1 and figures["fill_rate"] == 0.5
    mine = client.get("/api/labour/applications/mine", headers=resident).json()
    assert [a["status"] for a in mine] == ["confirmed"]


def test_roles_are_kept_to_their_side(client: TestClient, db: Session, city: City) -> None:
    need_id = post_need(db, city)
    resident, officer = headers_for(db, "resident_wang"), headers_for(db, "officer_m1")
    assert (
        client.post("/api/labour/needs", json=_need_json(city), headers=resident).status_code == 403
    )
    assert (
        client.get(f"/api/labour/needs/{need_id}/candidates", headers=resident).status_code == 403
    )
    assert client.post(f"/api/labour/jobs/{need_id}/apply", headers=officer).status_code == 403
    assert client.get("/api/labour/needs/mine", headers=officer).status_code == 403
    # An officer of another community, and an enterprise login for another's need.
    other = headers_for(db, "officer_m3")
    assert client.get(f"/api/labour/needs/{need_id}/candidates", headers=other).status_code == 403
    assert client.get("/api/labour/jobs").status_code == 401


def test_bad_input_is_refused_clearly_and_stores_nothing(
    client: TestClient, db: Session, city: City
) -> None:
    employer = headers_for(db, "enterprise_s1")
    cases = [
        _need_json(city, skills=["juggling"]),
        _need_json(city, shift="all day"),
        _need_json(city, positions=0),
        _need_json(city, start_date="2020-02-01"),
        _need_json(city, division_id=city.divisions["m3"]),
        _need_json(city, latitude=None),
    ]
    answers = [client.post("/api/labour/needs", json=body, headers=employer) for body in cases]
    assert [a.status_code for a in answers] == [422, 422, 422, 422, 403, 422]
    assert "unknown skills: juggling" in answers[0].json()["detail"]
    assert db.scalar(select(func.count()).select_from(LabourNeed)) == 0
    resident = headers_for(db, "resident_wang")
    bad_offer = {
        "skills": ["packing"],
        "shifts": ["day"],
        "days": ["someday"],
        "max_distance_km": 5,
    }
    assert client.put("/api/labour/profile", json=bad_offer, headers=resident).status_code == 422


def test_yellow_resident_is_refused_and_dropped_on_accept(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    officer, employer = headers_for(db, "officer_m1"), headers_for(db, "enterprise_s1")
    made = client.post(
        f"/api/labour/needs/{need_id}/proposals", json={"resident_id": wang}, headers=officer
    ).json()
    add_fever(db, wang)
    db.commit()
    answer = client.post(f"/api/labour/applications/{made['id']}/accept", headers=employer)
    assert answer.status_code == 409 and "绿码" in answer.json()["detail"]
    db.expire_all()
    assert db.scalar(select(LabourApplication.status)) == "dropped"
    assert client.post(f"/api/labour/jobs/{need_id}/apply", headers=headers_for(
        db, "resident_wang")).status_code == 409  # fmt: skip


def test_resident_page_in_chinese_and_english(client: TestClient, db: Session, city: City) -> None:
    place_city(db, city)
    need_id = post_need(db, city)
    resident = headers_for(db, "resident_wang")
    page = client.get("/labour/jobs?lang=zh", headers=resident)
    assert page.status_code == 200 and "附近招工" in page.text and "缝纫机操作工" in page.text
    assert "<script>" not in page.text and "onclick" not in page.text
    english = client.get("/labour/jobs?lang=en", headers=resident)
    assert "Jobs near me" in english.text and "Sewing machine operator" in english.text
    saved = client.post(
        "/labour/jobs/profile",
        data={
            "skill": ["sewing_machine_operator"],
            "shift": ["day"],
            "day": ["mon"],
            "max_distance_km": "10",
        },  # fmt: skip
        headers=resident,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    applied = client.post(f"/labour/jobs/{need_id}/apply", headers=resident, follow_redirects=False)
    assert applied.status_code == 303
    twice = client.post(f"/labour/jobs/{need_id}/apply?lang=zh", headers=resident)
    assert twice.status_code == 409 and "您已报名该岗位" in twice.text


def test_employer_and_board_pages(client: TestClient, db: Session, city: City) -> None:
    place_city(db, city)
    employer, officer = headers_for(db, "enterprise_s1"), headers_for(db, "commander")
    form = {
        "division_id": str(city.divisions["m1"]),
        "title": "熔喷布包装工",
        "positions": "3",
        "shift": "day",
        "start_date": (local_date(utcnow()) + timedelta(days=1)).isoformat(),
        "pay_yuan_per_day": "220",
        "skill": ["packing"],
        "day": ["mon", "tue"],
    }
    posted = client.post(
        "/labour/employer/needs", data=form, headers=employer, follow_redirects=False
    )
    assert posted.status_code == 303
    bad = client.post("/labour/employer/needs", data={**form, "skill": []}, headers=employer)
    assert bad.status_code == 422 and "skills" in bad.text
    page = client.get("/labour/employer", headers=employer)
    assert page.status_code == 200 and "熔喷布包装工" in page.text
    offer_work(db, city.residents["wang_father"], skills=("packing",))
    need_id = db.scalar(select(LabourNeed.id))
    board = client.get("/labour/board", headers=officer)
    assert board.status_code == 200 and 'data-plotly-figure="labour-chart"' in board.text
    assert "plotly" in board.text and 'src="/static/pages.js"' in board.text
    panel = client.get(f"/labour/board/needs/{need_id}", headers=officer)
    assert "王**" in panel.text and "王建国" not in panel.text
    proposed = client.post(
        f"/labour/board/needs/{need_id}/propose",
        data={"resident_id": str(city.residents["wang_father"])},
        headers={**officer, "HX-Request": "true"},
    )
    assert proposed.status_code == 200 and "proposed" in proposed.text
    again = client.post(
        f"/labour/board/needs/{need_id}/propose",
        data={"resident_id": str(city.residents["wang_father"])},
        headers=officer,
    )
    assert again.status_code == 409
    application_id = db.scalar(select(LabourApplication.id))
    accepted = client.post(
        f"/labour/employer/applications/{application_id}/accept",
        headers=employer,
        follow_redirects=False,
    )
    assert accepted.status_code == 303

"""A hire whose risk status stops being green after the employer accepted them: the employer sees
them flagged (not green, do not come to work) and may release the seat for another resident; a
green hire cannot be released; the resident sees the change and the release; the fill rate
counts a released hire as not filled. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import SESSION_COOKIE
from epicontrol.labour.models import LabourApplication
from tests.factories import PASSWORD, City
from tests.health_code.records import add_fever
from tests.labour.support import (
    audited,
    headers_for,
    hire,
    offer_work,
    place_city,
    post_need,
    seats_taken,
    status_of,
)

FLAG = "现非绿码，暂勿到岗"
TOLD = "labour: employer told a hire is not green"
RELEASED = "labour: seat of a hire no longer green given back"
TOKEN_IN_PAGE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def test_a_green_hire_is_not_flagged_and_cannot_be_released(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=2)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    application_id = hire(client, db, need_id, wang, confirm_as="resident_wang")
    employer = headers_for(db, "enterprise_s1")
    seen = client.get(f"/api/labour/needs/{need_id}/applications", headers=employer).json()
    assert [(s["status"], s["is_green"]) for s in seen] == [("confirmed", True)]
    assert FLAG not in client.get("/labour/employer", headers=employer).text

    refused = client.post(f"/api/labour/applications/{application_id}/release", headers=employer)
    assert refused.status_code == 409 and "绿码" in refused.json()["detail"]
    page = client.post(
        f"/labour/employer/applications/{application_id}/release?lang=en", headers=employer
    )
    assert page.status_code == 409 and "only a hire who is no longer green" in page.text
    assert status_of(db, application_id) == "confirmed" and seats_taken(db, need_id) == 1
    assert audited(db, RELEASED) == [] and audited(db, TOLD) == []


def test_a_hire_turning_yellow_is_flagged_released_and_the_seat_taken_by_another(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=1)
    wang, neighbour = city.residents["wang_father"], city.residents["neighbour"]
    offer_work(db, wang)
    offer_work(db, neighbour)
    application_id = hire(client, db, need_id, wang, confirm_as="resident_wang")
    employer, resident = headers_for(db, "enterprise_s1"), headers_for(db, "resident_wang")
    add_fever(db, wang)
    db.commit()

    # Both sides see it when they next look; nobody has been fired.
    seen = client.get(f"/api/labour/needs/{need_id}/applications", headers=employer).json()
    assert [(s["status"], s["is_green"]) for s in seen] == [("confirmed", False)]
    assert [a.entity_id for a in audited(db, TOLD)] == [str(wang)]
    page = client.get("/labour/employer", headers=employer).text
    flag = page[page.index(f'id="not-green-{application_id}"') :].split("</div>")[0]
    assert FLAG in flag and city.names["wang_father"] in flag
    assert f'action="/labour/employer/applications/{application_id}/release"' in flag
    row = page[page.index(f'id="application-{application_id}"') :].split("</tr>")[0]
    assert 'data-not-green="1"' in row and "现非绿码" in row
    assert "黄码" not in page and "红码" not in page  # "not green" only: the colour stays private
    mine = client.get("/api/labour/applications/mine", headers=resident).json()
    assert [(a["status"], a["is_green"]) for a in mine] == [("confirmed", False)]
    jobs = client.get("/labour/jobs?lang=en", headers=resident).text
    assert "do not report to work until it is green again" in jobs
    assert status_of(db, application_id) == "confirmed" and seats_taken(db, need_id) == 1

    released = client.post(
        f"/labour/employer/applications/{application_id}/release",
        headers=employer,
        follow_redirects=False,
    )
    assert released.status_code == 303, released.text
    assert status_of(db, application_id) == "released" and seats_taken(db, need_id) == 0
    [entry] = audited(db, RELEASED)
    assert (entry.actor, entry.action, entry.entity_id) == ("enterprise_s1", "release",
                                                            str(application_id))  # fmt: skip
    again = client.post(f"/api/labour/applications/{application_id}/release", headers=employer)
    assert again.status_code == 409 and seats_taken(db, need_id) == 0
    withdrawn = client.post(f"/api/labour/applications/{application_id}/withdraw", headers=resident)
    assert withdrawn.status_code == 409 and seats_taken(db, need_id) == 0

    figures = client.get("/api/labour/figures", headers=headers_for(db, "officer_m1")).json()
    assert (figures["filled"], figures["confirmed"], figures["fill_rate"]) == (0, 0, 0.0)
    jobs_zh = client.get("/labour/jobs?lang=zh", headers=resident).text
    assert "企业已释放名额" in jobs_zh
    assert "健康码转为绿码后，您可以在该岗位仍有名额时重新报名" in jobs_zh
    employer_page = client.get("/labour/employer", headers=employer).text
    assert "已释放名额 released" in employer_page

    # The freed seat is open to the next green resident.
    hire(client, db, need_id, neighbour)
    assert seats_taken(db, need_id) == 1


def test_an_accepted_hire_not_yet_confirmed_can_be_released_too(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=1)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    application_id = hire(client, db, need_id, wang)
    add_fever(db, wang)
    db.commit()
    employer = headers_for(db, "enterprise_s1")
    seen = client.get(f"/api/labour/needs/{need_id}/applications", headers=employer).json()
    assert (seen[0]["status"], seen[0]["is_green"], seen[0]["phone"]) == ("accepted", False, None)
    answer = client.post(f"/api/labour/applications/{application_id}/release", headers=employer)
    assert answer.status_code == 200 and answer.json()["status"] == "released"
    assert seats_taken(db, need_id) == 0
    # Confirming afterwards changes nothing: the seat was given back once.
    late = client.post(
        f"/api/labour/applications/{application_id}/confirm",
        headers=headers_for(db, "resident_wang"),
    )
    assert late.status_code == 409 and seats_taken(db, need_id) == 0
    assert status_of(db, application_id) == "released"


def test_only_the_needs_employer_releases_and_only_a_held_seat(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=2)
    wang, neighbour = city.residents["wang_father"], city.residents["neighbour"]
    offer_work(db, wang)
    offer_work(db, neighbour)
    hired = hire(client, db, need_id, wang, confirm_as="resident_wang")
    proposed = client.post(
        f"/api/labour/needs/{need_id}/proposals",
        json={"resident_id": neighbour},
        headers=headers_for(db, "officer_m1"),
    ).json()["id"]
    add_fever(db, wang)
    add_fever(db, neighbour)
    db.commit()
    for login in ("resident_wang", "officer_m1", "commander"):
        answer = client.post(
            f"/api/labour/applications/{hired}/release", headers=headers_for(db, login)
        )
        assert answer.status_code == 403, login
    missing = client.post(
        "/api/labour/applications/999999/release", headers=headers_for(db, "enterprise_s1")
    )
    assert missing.status_code == 404
    not_held = client.post(
        f"/api/labour/applications/{proposed}/release", headers=headers_for(db, "enterprise_s1")
    )
    assert not_held.status_code == 409
    assert status_of(db, hired) == "confirmed" and status_of(db, proposed) == "proposed"
    assert seats_taken(db, need_id) == 1 and audited(db, RELEASED) == []


def test_the_release_form_needs_the_pages_csrf_token(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=1)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    application_id = hire(client, db, need_id, wang, confirm_as="resident_wang")
    add_fever(db, wang)
    db.commit()
    logged_in = client.post("/login", data={"username": "enterprise_s1", "password": PASSWORD})
    assert logged_in.status_code == 200 and client.cookies.get(SESSION_COOKIE)
    action = f"/labour/employer/applications/{application_id}/release"
    forged = client.post(action, follow_redirects=False)
    assert forged.status_code == 403 and status_of(db, application_id) == "confirmed"
    page = client.get("/labour/employer").text
    form = page[page.index(f'action="{action}"') :].split("</form>")[0]
    token = TOKEN_IN_PAGE.search(form)
    assert token is not None
    sent = client.post(action, data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert sent.status_code == 303 and status_of(db, application_id) == "released"
    assert db.scalar(select(func.count()).select_from(LabourApplication)) == 1

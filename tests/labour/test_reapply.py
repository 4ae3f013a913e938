"""A resident released (or dropped) for not being green applies again for the same need once
green: the one row per need and resident is renewed as `applied`, audited, and its earlier
round stays visible to the resident and the employer. The officers' board counts released and
not-green hires per need, with the employer page's labels and no names. Over HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.labour.models import LabourApplication
from tests.factories import City
from tests.health_code.records import add_fever
from tests.labour.support import (
    audited,
    clear_fevers,
    headers_for,
    hire,
    offer_work,
    place_city,
    post_need,
    seats_taken,
    status_of,
)

REAPPLIED = "labour: resident applies again for the same need"


def _released(client: TestClient, db: Session, need_id: int, resident_id: int) -> int:
    """Hire the resident (confirmed), turn them yellow, release them; the application's id."""
    application_id = hire(client, db, need_id, resident_id, confirm_as="resident_wang")
    add_fever(db, resident_id)
    db.commit()
    answer = client.post(
        f"/api/labour/applications/{application_id}/release",
        headers=headers_for(db, "enterprise_s1"),
    )
    assert answer.json()["status"] == "released", answer.text
    return application_id


def test_a_released_resident_green_again_applies_again_and_is_hired(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=1)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    application_id = _released(client, db, need_id, wang)
    resident, employer = headers_for(db, "resident_wang"), headers_for(db, "enterprise_s1")

    # Still yellow: refused, nothing changes.
    refused = client.post(f"/api/labour/jobs/{need_id}/apply", headers=resident)
    assert refused.status_code == 409 and status_of(db, application_id) == "released"
    jobs = client.get("/labour/jobs?lang=en", headers=resident).text
    assert f'action="/labour/jobs/{need_id}/apply"' not in jobs
    assert "you can apply again for this job while it has places left" in jobs

    clear_fevers(db, wang)
    db.commit()
    jobs = client.get("/labour/jobs?lang=en", headers=resident).text
    assert f'action="/labour/jobs/{need_id}/apply"' in jobs
    sent = client.post(f"/labour/jobs/{need_id}/apply", headers=resident, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert status_of(db, application_id) == "applied"
    assert db.scalar(select(func.count()).select_from(LabourApplication)) == 1
    [entry] = audited(db, REAPPLIED)
    assert (entry.actor, entry.action, entry.entity_id) == (
        "resident_wang", "reapply", str(application_id))  # fmt: skip
    assert json.loads(entry.detail) == {"need": need_id, "resident": wang, "was": "released"}

    # The earlier round stays visible to both sides.
    mine = client.get("/api/labour/applications/mine", headers=resident).json()
    assert [(a["status"], [e["status"] for e in a["earlier"]]) for a in mine] == [
        ("applied", ["released"])
    ]
    jobs_zh = client.get("/labour/jobs?lang=zh", headers=resident).text
    assert "此前：企业已释放名额" in jobs_zh and "重新报名" in jobs_zh
    seen = client.get(f"/api/labour/needs/{need_id}/applications", headers=employer).json()
    assert [(s["status"], [e["status"] for e in s["earlier"]]) for s in seen] == [
        ("applied", ["released"])
    ]
    page = client.get("/labour/employer", headers=employer).text
    row = page[page.index(f'id="application-{application_id}"') :].split("</tr>")[0]
    assert "已申请 applied" in row and 'data-earlier="released"' in row
    assert "此前 earlier: 已释放名额 released" in row

    # A fresh application: the officer proposes, the employer accepts, the seat is taken again.
    again = client.post(f"/api/labour/jobs/{need_id}/apply", headers=resident)
    assert again.status_code == 409
    officer = headers_for(db, "officer_m1")
    proposed = client.post(
        f"/api/labour/needs/{need_id}/proposals", json={"resident_id": wang}, headers=officer
    )
    assert proposed.status_code == 201 and proposed.json()["id"] == application_id
    accepted = client.post(f"/api/labour/applications/{application_id}/accept", headers=employer)
    assert accepted.json()["status"] == "accepted" and seats_taken(db, need_id) == 1


def test_a_resident_dropped_before_confirming_applies_again_once_green(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=1)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    application_id = hire(client, db, need_id, wang)
    add_fever(db, wang)
    db.commit()
    resident = headers_for(db, "resident_wang")
    late = client.post(f"/api/labour/applications/{application_id}/confirm", headers=resident)
    assert late.status_code == 409 and status_of(db, application_id) == "dropped"
    clear_fevers(db, wang)
    db.commit()
    renewed = client.post(f"/api/labour/jobs/{need_id}/apply", headers=resident)
    assert renewed.status_code == 201 and renewed.json()["id"] == application_id
    assert renewed.json()["status"] == "applied"
    assert [json.loads(e.detail)["was"] for e in audited(db, REAPPLIED)] == ["dropped"]


def test_no_reapplication_to_a_full_or_closed_need(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=1)
    wang, neighbour = city.residents["wang_father"], city.residents["neighbour"]
    offer_work(db, wang)
    offer_work(db, neighbour)
    application_id = _released(client, db, need_id, wang)
    hire(client, db, need_id, neighbour)  # the freed seat is taken
    clear_fevers(db, wang)
    db.commit()
    resident, employer = headers_for(db, "resident_wang"), headers_for(db, "enterprise_s1")
    full = client.post(f"/api/labour/jobs/{need_id}/apply?lang=en", headers=resident)
    assert full.status_code == 409 and "filled" in full.json()["detail"]
    closed = client.post(f"/api/labour/needs/{need_id}/close", headers=employer)
    assert closed.status_code == 200, closed.text
    shut = client.post(f"/api/labour/jobs/{need_id}/apply", headers=resident)
    assert shut.status_code == 404
    assert status_of(db, application_id) == "released" and audited(db, REAPPLIED) == []


def test_the_board_counts_released_and_not_green_hires_per_need_without_names(
    client: TestClient, db: Session, city: City
) -> None:
    place_city(db, city)
    flagged, quiet = post_need(db, city, positions=3), post_need(db, city, positions=1)
    wang, neighbour = city.residents["wang_father"], city.residents["neighbour"]
    offer_work(db, wang)
    offer_work(db, neighbour)
    _released(client, db, flagged, wang)
    hire(client, db, flagged, neighbour)
    add_fever(db, neighbour)
    db.commit()
    officer = headers_for(db, "officer_m1")

    board = client.get("/labour/board", headers=officer).text
    row = board[board.index(f'id="need-{flagged}"') :].split("</tr>")[0]
    assert 'data-not-green="1"' in row and "现非绿码 not green: 1" in row
    assert 'data-released="1"' in row and "已释放名额 released (not green): 1" in row
    other = board[board.index(f'id="need-{quiet}"') :].split("</tr>")[0]
    assert "data-not-green" not in other and "data-released" not in other
    names = (city.names["wang_father"], city.names["neighbour"])
    assert not any(name in row for name in names)
    assert "黄码" not in board and "红码" not in board

    # Once green again, the released resident is a candidate, labelled as on the employer's page.
    clear_fevers(db, wang)
    db.commit()
    fragment = client.get(f"/labour/board/needs/{flagged}", headers=officer).text
    candidate = fragment[fragment.index(f'data-resident="{wang}"') :].split("</tr>")[0]
    assert 'data-status="released"' in candidate and "已释放名额 released" in candidate


def test_a_withdrawal_renewed_before_any_proposal_stays_hidden_from_the_employer(
    client: TestClient, db: Session, city: City
) -> None:
    need_id = post_need(db, city)
    offer_work(db, city.residents["wang_father"])
    resident = headers_for(db, "resident_wang")
    application_id = client.post(f"/api/labour/jobs/{need_id}/apply", headers=resident).json()["id"]
    withdrawn = client.post(f"/api/labour/applications/{application_id}/withdraw", headers=resident)
    assert withdrawn.json()["status"] == "withdrawn"
    renewed = client.post(f"/api/labour/jobs/{need_id}/apply", headers=resident)
    assert renewed.status_code == 201 and renewed.json()["id"] == application_id
    mine = client.get("/api/labour/applications/mine", headers=resident).json()
    assert [e["status"] for e in mine[0]["earlier"]] == ["withdrawn"]
    employer = headers_for(db, "enterprise_s1")
    seen = client.get(f"/api/labour/needs/{need_id}/applications", headers=employer).json()
    assert seen == []

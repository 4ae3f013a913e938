"""Risk areas: commanders declare and end them; arrivals from active ones are flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.movements.models import RiskArea
from epicontrol.movements.presence import local_date
from tests.factories import City, login
from tests.movements.test_presence import add_movement, add_places, local

API = "/api/movements/risk-areas"


def test_commander_declares_lists_and_ends_a_risk_area(
    client: TestClient, city: City, db: Session
) -> None:
    today = local_date(datetime.now(UTC))
    commander = login(client, "commander")
    declared = client.post(
        API, json={"region_code": "4201", "name": "武汉市", "level": "high"}, headers=commander
    )
    assert declared.status_code == 201, declared.text
    area = declared.json()
    assert (area["starts_on"], area["ends_on"], area["created_by"]) == (
        today.isoformat(),
        None,
        "commander",
    )
    by_division = client.post(
        API,
        json={"region_code": "410102001001G01", "name": "测试g1", "level": "medium"},
        headers=commander,
    )
    assert by_division.status_code == 201, by_division.text

    officer = login(client, "officer_m1")
    listed = client.get(f"{API}?active_on={today}", headers=officer).json()
    assert {a["region_code"] for a in listed} == {"4201", "410102001001G01"}
    ends_on = (today + timedelta(days=3)).isoformat()
    ended = client.post(f"{API}/{area['id']}/end", json={"ends_on": ends_on}, headers=commander)
    assert ended.status_code == 200 and ended.json()["ends_on"] == ends_on
    later = (today + timedelta(days=4)).isoformat()
    assert [a["name"] for a in client.get(f"{API}?active_on={later}", headers=officer).json()] == [
        "测试g1"
    ]
    refused = client.post(API, json={"region_code": "4202", "name": "x"}, headers=officer)
    assert refused.status_code == 403

    db.expire_all()
    changes = db.execute(
        select(AuditEntry.action, AuditEntry.outcome)
        .where(AuditEntry.entity == "risk_area")
        .order_by(AuditEntry.id)
    ).all()
    assert [tuple(c) for c in changes] == [
        ("create", "allowed"),
        ("create", "allowed"),
        ("update", "allowed"),
        ("risk_area:manage", "denied"),
    ]


def test_bad_risk_area_input_is_refused_with_clear_messages(
    client: TestClient, city: City, db: Session
) -> None:
    commander = login(client, "commander")
    today = local_date(datetime.now(UTC))

    def declare(**fields: object) -> tuple[int, str]:
        body = {"region_code": "4201", "name": "武汉市", **fields}
        answer = client.post(API, json=body, headers=commander)
        return answer.status_code, str(answer.json().get("detail", ""))

    status, detail = declare(region_code="42010")
    assert status == 422 and "5 digits" in detail and "'4201' covers a whole city" in detail
    status, detail = declare(region_code="WUHAN")
    assert status == 422 and "neither an administrative code" in detail
    status, detail = declare(starts_on="2026-03-10", ends_on="2026-03-01")
    assert status == 422 and "ends_on (2026-03-01) is before starts_on (2026-03-10)" in detail
    assert declare(name="")[0] == 422
    assert declare(level="extreme")[0] == 422

    assert declare(starts_on=today.isoformat())[0] == 201
    status, detail = declare(starts_on=(today + timedelta(days=5)).isoformat())
    assert status == 409 and "already a risk area" in detail
    area_id = db.scalars(select(RiskArea.id)).one()
    before = (today - timedelta(days=1)).isoformat()
    ending = client.post(f"{API}/{area_id}/end", json={"ends_on": before}, headers=commander)
    assert ending.status_code == 422 and "before starts_on" in ending.json()["detail"]
    assert client.post(f"{API}/{area_id}/end", headers=commander).status_code == 200
    again = client.post(f"{API}/{area_id}/end", headers=commander)
    assert again.status_code == 409 and "already ends on" in again.json()["detail"]
    assert client.post(f"{API}/999999/end", headers=commander).status_code == 404


def test_arrival_from_an_active_risk_area_is_flagged_and_from_an_expired_one_not(
    client: TestClient, city: City, db: Session
) -> None:
    p, r = add_places(db, city), city.residents
    day = local_date(datetime.now(UTC)) - timedelta(days=2)
    for code, name, starts, ends in (
        ("4201", "武汉市", -5, None),
        ("4301", "长沙市", -10, -1),  # expired the day before
        ("410103", "测试d2", 0, None),  # our own district: matched by the previous place
        ("4401", "深圳市", 1, None),  # not yet declared that day
    ):
        db.add(
            RiskArea(
                region_code=code,
                name=name,
                starts_on=day + timedelta(days=starts),
                ends_on=None if ends is None else day + timedelta(days=ends),
                created_by="commander",
            )
        )
    gate = p["gate"]
    for hour, short, origin in (
        (8, "wang_father", "420102"),
        (9, "wang_mother", "430104"),
        (11, "neighbour", "440305"),
    ):
        add_movement(
            db, resident=r[short], place=gate, at=local(day, hour), direction="in", origin=origin
        )
    add_movement(
        db, resident=r["wang_child"], place=p["m3_gate"], at=local(day, 9), direction="out"
    )
    add_movement(db, resident=r["wang_child"], place=gate, at=local(day, 10), direction="in")
    add_movement(
        db, resident=r["m2_resident"], place=p["m2_gate"], at=local(day, 9), direction="out"
    )
    add_movement(db, resident=r["m2_resident"], place=gate, at=local(day, 12), direction="in")
    db.commit()

    headers = login(client, "officer_m1")
    url = f"/api/divisions/{city.divisions['m1']}/arrivals?day={day}"
    body = client.get(url, headers=headers).json()
    assert (body["total"], body["from_risk_areas"]) == (5, 2)
    flags = {a["resident_id"]: a["risk_area"] for a in body["arrivals"]}
    assert flags == {
        r["wang_father"]: "武汉市",
        r["wang_child"]: "测试d2",
        r["wang_mother"]: None,
        r["neighbour"]: None,
        r["m2_resident"]: None,
    }
    assert [a["resident_id"] for a in body["arrivals"][:2]] == [r["wang_child"], r["wang_father"]]
    risky = client.get(f"{url}&from_risk_areas_only=true", headers=headers).json()
    assert [a["is_from_risk_area"] for a in risky["arrivals"]] == [True, True]

"""Public reports over the API: filed anonymously with the phone encrypted, limited per client
per hour through the database, repeats refused, and triaged by officers in their scope."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.reports.models import Tip
from epicontrol.web.app import create_app
from tests.factories import City, login

LIMIT = 3


@pytest.fixture
def limited_settings(settings: Settings) -> Settings:
    """The test deployment with a small hourly limit."""
    return settings.model_copy(update={"tip_rate_limit_per_hour": LIMIT})


@pytest.fixture
def limited(limited_settings: Settings) -> Iterator[TestClient]:
    """A client of an app allowing LIMIT reports per client per hour."""
    with TestClient(create_app(limited_settings)) as test_client:
        yield test_client


def _tip(text: str = "楼下便利店口罩一只卖50元", **extra: object) -> dict[str, object]:
    return {"kind": "price_gouging", "description": text, "location_text": "幸福路12号", **extra}


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Tip)) or 0


def test_anonymous_report_is_stored_with_the_phone_encrypted(
    client: TestClient, db: Session, city: City
) -> None:
    body = _tip(division_id=city.divisions["g1"], contact_phone="138 0013 8000")
    response = client.post("/api/public/tips", json=body)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["status"] == "new"
    tip = db.get(Tip, receipt["id"])
    assert tip is not None and tip.reporter_resident_id is None
    assert tip.contact_phone_enc is not None and b"13800138000" not in tip.contact_phone_enc
    assert tip.contact_phone_masked == "138****8000"
    assert "testclient" not in tip.client_hash and len(tip.client_hash) == 64
    officer = login(client, "officer_m1")
    [listed] = client.get("/api/tips", headers=officer).json()
    assert listed["contact_phone_masked"] == "138****8000" and "contact_phone" not in listed
    detail = client.get(f"/api/tips/{tip.id}", headers={**officer, "X-Purpose": "call back"})
    assert detail.json()["contact_phone"] == "13800138000"
    read = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "tip", AuditEntry.action == "read")
    ).one()
    assert (read.actor, read.purpose) == ("officer_m1", "call back")


def test_logged_in_resident_is_recorded_but_never_shown_to_officers(
    client: TestClient, db: Session, city: City
) -> None:
    body = _tip(kind="hidden_symptoms", division_id=city.divisions["g1"])
    receipt = client.post("/api/public/tips", json=body, headers=login(client, "resident_zhang"))
    assert receipt.status_code == 201, receipt.text
    tip = db.get(Tip, receipt.json()["id"])
    assert tip is not None and tip.reporter_resident_id == city.residents["neighbour"]
    detail = client.get(f"/api/tips/{tip.id}", headers=login(client, "officer_m1")).json()
    assert detail["from_registered_resident"] is True
    assert str(city.residents["neighbour"]) not in {str(v) for v in detail.values()}


def test_rate_limit_gives_429_with_retry_after_beyond_n_an_hour(
    limited: TestClient, db: Session, city: City
) -> None:
    for n in range(LIMIT):
        response = limited.post(
            "/api/public/tips", json=_tip(f"第{n}次 聚集打麻将", kind="gathering")
        )
        assert response.status_code == 201, response.text
    refused = limited.post("/api/public/tips", json=_tip("再来一份不同的举报"))
    assert refused.status_code == 429
    assert 3500 <= int(refused.headers["retry-after"]) <= 3600
    assert f"at most {LIMIT} an hour" in refused.json()["detail"]
    assert _count(db) == LIMIT


def test_rate_limit_holds_across_worker_processes(
    limited_settings: Settings, db: Session, city: City
) -> None:
    """Two app instances on one store stand for two uvicorn workers: requests sent to both at
    once still add up to LIMIT, because the count is taken under the client's row lock."""
    with (
        TestClient(create_app(limited_settings)) as first,
        TestClient(create_app(limited_settings)) as second,
    ):
        workers = [first, second]

        def send(n: int) -> int:
            body = _tip(f"举报第{n}号 不同内容", kind="other")
            return workers[n % 2].post("/api/public/tips", json=body).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            codes = list(pool.map(send, range(LIMIT + 5)))
    assert sorted(codes) == [201] * LIMIT + [429] * 5
    assert _count(db) == LIMIT


def test_repeat_of_the_same_report_is_refused(client: TestClient, db: Session, city: City) -> None:
    assert client.post("/api/public/tips", json=_tip()).status_code == 201
    again = client.post("/api/public/tips", json=_tip("  楼下便利店口罩一只卖50元 "))
    assert again.status_code == 409 and "already received" in again.json()["detail"]
    assert _count(db) == 1


def test_retry_with_the_same_idempotency_key_returns_the_first_receipt(
    client: TestClient, db: Session, city: City
) -> None:
    key = {"Idempotency-Key": "form-5b1c2d"}
    first = client.post("/api/public/tips", json=_tip(), headers=key)
    retry = client.post("/api/public/tips", json=_tip(), headers=key)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    other = client.post("/api/public/tips", json=_tip("完全不同的内容"), headers=key)
    assert other.status_code == 409
    assert _count(db) == 1


def test_bad_report_is_refused_and_nothing_stored(
    client: TestClient, db: Session, city: City
) -> None:
    bad = [
        _tip(kind="rumour"),
        _tip("短"),
        _tip("   有人   "),
        _tip("x" * 2001),
        _tip(contact_phone="12345"),
        _tip(division_id=999),
        _tip(reporter_resident_id=1),
        {"description": "没有类型的举报"},
    ]
    for body in bad:
        response = client.post("/api/public/tips", json=body)
        assert response.status_code == 422, (body, response.text)
    big = client.post("/api/public/tips", json=_tip("大" * 10_000))
    assert big.status_code == 413
    bad_key = client.post("/api/public/tips", json=_tip(), headers={"Idempotency-Key": "a b"})
    assert bad_key.status_code == 422
    assert _count(db) == 0


def _file(client: TestClient, city: City) -> dict[str, int]:
    ids = {}
    for key, division in (
        ("g1", city.divisions["g1"]),
        ("m3", city.divisions["m3"]),
        ("none", None),
    ):
        body = _tip(
            f"{key} 小区有人从风险地区返回未报备", kind="unreported_arrival", division_id=division
        )
        response = client.post("/api/public/tips", json=body)
        assert response.status_code == 201, response.text
        ids[key] = response.json()["id"]
    return ids


def _queue(client: TestClient, user: str) -> set[int]:
    response = client.get("/api/tips", headers=login(client, user))
    assert response.status_code == 200, response.text
    return {t["id"] for t in response.json()}


def test_triage_queue_is_scoped_to_the_division_and_city_level_sees_unplaced_reports(
    client: TestClient, city: City
) -> None:
    ids = _file(client, city)
    assert _queue(client, "officer_m1") == {ids["g1"]}
    assert _queue(client, "officer_m3") == {ids["m3"]}
    assert _queue(client, "epidemiologist") == {ids["g1"]}  # district d1: no unplaced reports
    assert _queue(client, "admin") == set(ids.values())
    for user in ("commander", "resident_wang", "gridworker_g1"):
        assert client.get("/api/tips", headers=login(client, user)).status_code == 403, user
    outside = client.get(f"/api/tips/{ids['none']}", headers=login(client, "officer_m1"))
    assert outside.status_code == 403


def test_outcome_is_recorded_and_every_move_audited(
    client: TestClient, db: Session, city: City
) -> None:
    ids = _file(client, city)
    officer = login(client, "officer_m1")
    url = f"/api/tips/{ids['g1']}/triage"
    review = client.post(
        url, json={"status": "in_review", "note": "已派网格员核查"}, headers=officer
    )
    assert review.status_code == 200 and review.json()["status"] == "in_review"
    no_outcome = client.post(url, json={"status": "closed"}, headers=officer)
    assert no_outcome.status_code == 422 and "outcome" in no_outcome.json()["detail"]
    backwards = client.post(url, json={"status": "new"}, headers=officer)
    assert backwards.status_code == 422
    close = {"status": "closed", "outcome": "action_taken", "note": "已劝返并登记"}
    closed = client.post(url, json=close, headers=officer)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["outcome"], closed.json()["handled_by"]) == ("action_taken", "officer_m1")
    assert _queue(client, "officer_m1") == set()
    closed_list = client.get("/api/tips?status=closed", headers=officer).json()
    assert [(t["id"], t["outcome_note"]) for t in closed_list] == [(ids["g1"], "已劝返并登记")]
    db.expire_all()
    tip = db.get(Tip, ids["g1"])
    assert tip is not None and (tip.status, tip.outcome) == ("closed", "action_taken")
    moves = db.scalars(
        select(AuditEntry.detail)
        .where(AuditEntry.entity == "tip", AuditEntry.action == "triage")
        .order_by(AuditEntry.id)
    ).all()
    assert len(moves) == 2 and '"outcome": "action_taken"' in moves[1]
    foreign = client.post(
        f"/api/tips/{ids['g1']}/triage",
        json={"status": "in_review"},
        headers=login(client, "officer_m3"),
    )
    assert foreign.status_code == 403
    denied = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "tip", AuditEntry.outcome == "denied")
    ).one()
    assert (denied.actor, denied.entity_id) == ("officer_m3", str(ids["g1"]))

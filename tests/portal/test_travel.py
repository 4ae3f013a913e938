"""A resident's own travel record: their records of the last 14 days only, newest first, paged;
another resident's id is refused; every read is audited."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from tests.factories import City, login
from tests.portal.test_itineraries import add_places, local
from tests.tracing.store_scenario import add_stay


def _records(db: Session, city: City) -> None:
    places = add_places(db, city)
    zhang = city.residents["neighbour"]
    add_stay(db, zhang, places["market"], local(3, "10:30"), local(3, "10:50"))
    add_stay(db, zhang, places["restaurant"], local(1, "18:00"), local(1, "19:00"))
    add_stay(db, zhang, places["market"], local(15, "10:00"), local(15, "10:20"))  # too old
    add_stay(
        db, city.residents["wang_mother"], places["market"], local(1, "09:00"), local(1, "09:30")
    )
    db.commit()


def test_own_records_newest_first_paged_and_audited(
    client: TestClient, db: Session, city: City
) -> None:
    _records(db, city)
    headers = login(client, "resident_zhang")
    first = client.get("/api/me/travel?limit=3", headers=headers)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    body = first.json()
    assert body["total"] == 4
    assert [(r["place_name"], r["direction"]) for r in body["items"]] == [
        ("老街面馆", "out"),
        ("老街面馆", "in"),
        ("惠民超市", "out"),
    ]
    assert body["items"][0]["kind"] == "checkin" and body["items"][0]["place_kind"] == "restaurant"
    rest = client.get("/api/me/travel?limit=3&offset=3", headers=headers).json()
    assert [datetime.fromisoformat(r["occurred_at"]) for r in rest["items"]] == [
        local(3, "10:30")
    ], "the record of 15 days ago is outside the window"
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.actor == "resident_zhang", AuditEntry.action == "read")
    ).all()
    assert {(e.entity, e.entity_id, e.purpose) for e in entries} == {
        ("movements", str(city.residents["neighbour"]), "own travel record")
    }
    assert len(entries) == 2


def test_another_residents_id_is_refused_and_staff_have_no_travel_record(
    client: TestClient, db: Session, city: City
) -> None:
    _records(db, city)
    headers = login(client, "resident_zhang")
    other = city.residents["wang_mother"]
    refused = client.get(f"/api/me/travel?resident_id={other}", headers=headers)
    assert refused.status_code == 403
    own = client.get(f"/api/me/travel?resident_id={city.residents['neighbour']}", headers=headers)
    assert own.status_code == 200 and own.json()["total"] == 4
    denied = db.scalar(
        select(AuditEntry).where(AuditEntry.outcome == "denied", AuditEntry.entity == "movements")
    )
    assert denied is not None and denied.entity_id == str(other)
    assert client.get("/api/me/travel", headers=login(client, "epidemiologist")).status_code == 403
    page = client.get("/public/me/travel", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/public/me/travel"


def test_the_page_shows_the_record_in_both_languages(
    client: TestClient, db: Session, city: City
) -> None:
    _records(db, city)
    headers = {**login(client, "resident_zhang"), "Accept": "text/html"}
    zh = client.get("/public/me/travel?lang=zh", headers=headers)
    assert zh.status_code == 200 and "共 4 条记录" in zh.text and "场所签到" in zh.text
    en = client.get("/public/me/travel?lang=en", headers=headers)
    assert "4 records" in en.text and "Venue check-in" in en.text
    assert "惠民超市" in en.text and "09:00" not in en.text, "wang_mother's record is not shown"

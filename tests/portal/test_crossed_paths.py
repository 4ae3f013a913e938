"""Did I cross paths with a case? Only the resident's own records, only published itineraries;
same place with overlapping times, or arriving within an hour after the case left."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.core.models import AuditEntry
from epicontrol.portal import crossed_paths
from epicontrol.tracing.rules import DEFAULT_RULES
from tests.factories import City, login
from tests.portal.test_itineraries import Scenario, build, local, publish
from tests.tracing.store_scenario import add_stay, principal


def _movements(db: Session, city: City, scenario: Scenario) -> None:
    market, restaurant = scenario.places["market"], scenario.places["restaurant"]
    zhang = city.residents["neighbour"]
    # With the case at the market (published 10:00-11:00): overlap.
    add_stay(db, zhang, market, local(3, "10:30"), local(3, "10:50"))
    # At the restaurant 30 minutes after the case left (published until 19:30): within an hour.
    add_stay(db, zhang, restaurant, local(2, "20:00"), local(2, "20:20"))
    # The market on another day, and the restaurant 90 minutes after: no match.
    add_stay(db, zhang, market, local(5, "10:30"), local(5, "10:50"))
    add_stay(db, zhang, restaurant, local(2, "21:00"), local(2, "21:20"))
    # Someone else with the case: never part of zhang's answer.
    add_stay(db, city.residents["wang_mother"], market, local(3, "10:00"), local(3, "11:00"))
    db.commit()


def test_own_stays_meet_published_stops_by_overlap_or_within_an_hour(
    db: Session, city: City
) -> None:
    scenario = build(db, city)
    _movements(db, city, scenario)
    zhang = principal(db, "resident_zhang")
    before = crossed_paths.check(db, principal=zhang, now=utcnow(), rules=DEFAULT_RULES)
    assert before.matches == [], "a draft or no itinerary at all is never matched"
    publish(db, scenario)
    result = crossed_paths.check(db, principal=zhang, now=utcnow(), rules=DEFAULT_RULES)
    db.commit()
    assert result.checked_stays == 4
    assert [(m.place_name, m.kind, m.my_started_at) for m in result.matches] == [
        ("老街面馆", crossed_paths.AFTER, local(2, "20:00")),
        ("惠民超市", crossed_paths.OVERLAP, local(3, "10:30")),
    ]
    market = result.matches[1]
    assert market.case_number == 1 and market.case_label == "病例1"
    assert market.watch_until == local_date(local(3, "10:50")) + timedelta(days=14)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.actor == "resident_zhang")).all()
    assert [(e.entity, e.entity_id) for e in entries] == [
        ("movements", str(city.residents["neighbour"]))
    ] * 2


def test_a_check_in_without_check_out_lasts_the_place_kinds_usual_stay() -> None:
    start = local(3, "11:20")
    records = [(7, start, "in", "supermarket")]
    [stay] = crossed_paths._pair(records, DEFAULT_RULES)
    assert stay.ended_at - stay.started_at == timedelta(minutes=30) and stay.is_estimated
    assert crossed_paths._crossing(stay, local(3, "10:00"), local(3, "11:00")) == "after"
    assert crossed_paths._crossing(stay, local(3, "09:00"), local(3, "10:00")) is None


def test_the_api_answers_residents_about_their_own_records_only(
    client: TestClient, db: Session, city: City
) -> None:
    scenario = build(db, city)
    _movements(db, city, scenario)
    publish(db, scenario)
    zhang = client.get("/api/me/crossed-paths", headers=login(client, "resident_zhang"))
    assert zhang.status_code == 200 and zhang.headers["cache-control"] == "no-store"
    assert len(zhang.json()["matches"]) == 2
    # The case himself: his own itinerary is no news.
    wang = client.get("/api/me/crossed-paths", headers=login(client, "resident_wang"))
    assert wang.status_code == 200 and wang.json()["matches"] == []
    staff = client.get("/api/me/crossed-paths", headers=login(client, "epidemiologist"))
    assert staff.status_code == 403
    assert client.get("/api/me/crossed-paths").status_code == 401
    page = client.get(
        "/public/me/crossed-paths?lang=en",
        headers={**login(client, "resident_zhang"), "Accept": "text/html"},
    )
    assert "You arrived within an hour after the case left." in page.text
    assert 'href="/public/self-check"' in page.text and 'href="/public/clinics"' in page.text

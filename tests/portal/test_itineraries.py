"""Case itineraries: drafted from the investigation with only public places, an age band and
half-hour times; approved by a second officer; only published ones are public; withdrawn ones
disappear. The scenario builders here are shared by the crossed-paths and browser tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases import investigations
from epicontrol.cases import service as cases
from epicontrol.cases.models import Case, CaseStatus
from epicontrol.cases.schemas import CaseIn, InvestigationIn, TravelEntryIn
from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry
from epicontrol.people.models import Resident
from epicontrol.places.models import Place, PlaceKind
from epicontrol.portal import itineraries
from epicontrol.portal.itinerary_models import CaseItinerary, ItineraryStop
from tests.factories import City, login
from tests.tracing.store_scenario import principal

CHINA = ZoneInfo("Asia/Shanghai")
HOME_ADDRESS = "幸福路 8 号 3 单元 502"


def local(days_ago: int, hhmm: str) -> datetime:
    """A China time `days_ago` days before today."""
    day = datetime.now(CHINA).date() - timedelta(days=days_ago)
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=CHINA)


@dataclass
class Scenario:
    """Ids of the scenario's places and case."""

    places: dict[str, int]
    case_id: int


def add_places(db: Session, city: City) -> dict[str, int]:
    """A supermarket and a restaurant (public), a workplace (not public)."""
    rows = {
        "market": Place(
            code="MKT-C",
            name="惠民超市",
            kind=PlaceKind.SUPERMARKET.value,
            division_id=city.divisions["m1"],
            address="测试路 1 号",
        ),
        "restaurant": Place(
            code="RST-C",
            name="老街面馆",
            kind=PlaceKind.RESTAURANT.value,
            division_id=city.divisions["m3"],
            address="Old Street 5",
        ),
        "office": Place(
            code="WRK-C",
            name="某某科技公司",
            kind=PlaceKind.WORKPLACE.value,
            division_id=city.divisions["m1"],
        ),
    }
    db.add_all(rows.values())
    db.flush()
    return {name: place.id for name, place in rows.items()}


def add_peers(
    db: Session, city: City, who: str, count: int = 4, *, born: int | None = None
) -> None:
    """`count` residents of the city sharing `who`'s sex and birth year (or `born`), so the
    case's age band and sex are shared by count + 1 people (k = 5 with the default); in another
    grid, since the itinerary's population is the city. Only the fields the k-anonymity count
    reads are real."""
    sex, birth_year = db.execute(
        select(Resident.sex, Resident.birth_year).where(Resident.id == city.residents[who])
    ).one()
    made = db.scalar(select(func.count(Resident.id))) or 0
    for n in range(count):
        db.add(
            Resident(
                division_id=city.divisions["g4"],
                id_number_hash=f"peer-{who}-{made + n}",
                id_number_enc=b"-",
                name_enc=b"-",
                name_masked="*",
                sex=sex,
                birth_year=born or birth_year,
            )
        )
    db.flush()


def build(db: Session, city: City, who: str = "wang_father") -> Scenario:
    """A confirmed case (born 1970) whose investigation names five stays, two public; four more
    men of his age live in the city, so his itinerary is 5-anonymous on age band and sex."""
    add_peers(db, city, who)
    places = add_places(db, city)
    epidemiologist = principal(db, "epidemiologist")
    now = utcnow()
    today = now.astimezone(CHINA).date()
    data = CaseIn(
        resident_id=city.residents[who],
        status=CaseStatus.CONFIRMED,
        onset_date=today - timedelta(days=2),
        report_date=today,
    )
    case_id = cases.create(db, principal=epidemiologist, data=data, now=now).case.id
    travel = [
        TravelEntryIn(place_code="MKT-C", started_at=local(3, "10:07"), ended_at=local(3, "10:41")),
        TravelEntryIn(place_code="RST-C", started_at=local(2, "18:10"), ended_at=local(2, "19:05")),
        TravelEntryIn(place_code="WRK-C", started_at=local(2, "09:00"), ended_at=local(2, "17:00")),
        TravelEntryIn(
            place_code="GATE-M1", started_at=local(2, "08:30"), ended_at=local(2, "08:31")
        ),
        TravelEntryIn(
            place_name="家中",
            address=HOME_ADDRESS,
            started_at=local(1, "00:00"),
            ended_at=local(1, "08:00"),
        ),
    ]
    form = InvestigationIn(travel=travel)
    investigations.save(db, principal=epidemiologist, case_id=case_id, data=form, now=now)
    db.commit()
    return Scenario(places=places, case_id=case_id)


def publish(db: Session, scenario: Scenario) -> int:
    """Drafted by the epidemiologist, approved by the commander; committed."""
    drafted = itineraries.draft(
        db, principal=principal(db, "epidemiologist"), case_id=scenario.case_id, now=utcnow()
    )
    itineraries.approve(
        db, principal=principal(db, "commander"), itinerary_id=drafted.id, now=utcnow()
    )
    db.commit()
    return drafted.id


def test_a_draft_keeps_public_places_only_with_age_band_and_half_hour_times(
    db: Session, city: City
) -> None:
    scenario = build(db, city)
    drafted = itineraries.draft(
        db, principal=principal(db, "epidemiologist"), case_id=scenario.case_id, now=utcnow()
    )
    db.commit()
    assert (drafted.state, drafted.sex, drafted.age_band) == ("draft", "M", 50)  # born 1970
    assert drafted.left_out == 3, "workplace, community gate and the home are not published"
    stops = db.scalars(
        select(ItineraryStop).where(ItineraryStop.itinerary_id == drafted.id).order_by("started_at")
    ).all()
    assert [(s.place_name, s.started_at, s.ended_at) for s in stops] == [
        ("惠民超市", local(3, "10:00"), local(3, "11:00")),
        ("老街面馆", local(2, "18:00"), local(2, "19:30")),
    ]
    assert drafted.public_number is None, "numbered only when published"


def test_the_public_sees_no_name_id_home_or_birth_date(
    client: TestClient, db: Session, city: City
) -> None:
    scenario = build(db, city)
    publish(db, scenario)
    case = db.get(Case, scenario.case_id)
    assert case is not None
    response = client.get("/api/public/itineraries")
    assert response.status_code == 200
    body = response.json()
    [item] = body["items"]
    assert set(item) == {
        "number",
        "label",
        "age_band",
        "sex",
        "report_date",
        "published_at",
        "stops",
    }
    assert (item["number"], item["age_band"], item["sex"]) == (1, "50-59", "M")
    assert set(item["stops"][0]) == {
        "place_name",
        "address",
        "place_kind",
        "started_at",
        "ended_at",
    }
    text = json.dumps(body, ensure_ascii=False)
    secrets = [
        city.names["wang_father"],
        city.names["wang_father"][0] + "*",  # the masked name's start
        city.id_numbers["wang_father"],
        "19700312",
        "1970",
        case.case_number,
        HOME_ADDRESS,
        "家中",
        "某某科技公司",
        '"case_id"',
        '"resident_id"',
    ]
    assert [s for s in secrets if s in text] == []
    page = client.get("/public/itineraries?lang=zh")
    assert page.status_code == 200 and "病例1" in page.text and "50-59 岁" in page.text
    assert city.names["wang_father"] not in page.text and HOME_ADDRESS not in page.text
    assert "Case 1" in client.get("/public/itineraries?lang=en").text


def test_four_eyes_the_drafter_or_editor_cannot_approve(
    client: TestClient, db: Session, city: City
) -> None:
    scenario = build(db, city)
    epidemiologist, admin = login(client, "epidemiologist"), login(client, "admin")
    made = client.post(
        "/api/itineraries", json={"case_id": scenario.case_id}, headers=epidemiologist
    )
    assert made.status_code == 201, made.text
    draft = made.json()
    refused = client.post(f"/api/itineraries/{draft['id']}/approve", headers=epidemiologist)
    assert refused.status_code == 403 and "four eyes" in refused.json()["detail"]
    stop_id = draft["stops"][1]["id"]
    removed = client.delete(f"/api/itineraries/{draft['id']}/stops/{stop_id}", headers=admin)
    assert removed.status_code == 200 and len(removed.json()["stops"]) == 1
    assert removed.json()["edited_by"] == "admin"
    assert client.post(f"/api/itineraries/{draft['id']}/approve", headers=admin).status_code == 403
    # A commander may approve but not draft or edit.
    commander = login(client, "commander")
    assert (
        client.delete(
            f"/api/itineraries/{draft['id']}/stops/{draft['stops'][0]['id']}", headers=commander
        ).status_code
        == 403
    )
    approved = client.post(f"/api/itineraries/{draft['id']}/approve", headers=commander)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["public_number"]) == ("published", 1)
    denied = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "itinerary", AuditEntry.outcome == "denied")
    ).all()
    assert {e.actor for e in denied} >= {"epidemiologist", "admin"}
    assert [
        i["stops"][0]["place_name"] for i in client.get("/api/public/itineraries").json()["items"]
    ] == ["惠民超市"]


def test_only_published_itineraries_are_public_and_withdrawal_takes_them_down(
    client: TestClient, db: Session, city: City
) -> None:
    scenario = build(db, city)
    drafted = itineraries.draft(
        db, principal=principal(db, "epidemiologist"), case_id=scenario.case_id, now=utcnow()
    )
    db.commit()
    assert client.get("/api/public/itineraries").json() == {"total": 0, "offset": 0, "items": []}
    assert "惠民超市" not in client.get("/public/itineraries").text
    commander = login(client, "commander")
    client.post(f"/api/itineraries/{drafted.id}/approve", headers=commander)
    assert client.get("/api/public/itineraries?place=面馆").json()["total"] == 1
    assert client.get("/api/public/itineraries?place=old street").json()["total"] == 1
    assert client.get("/api/public/itineraries?place=火车站").json()["total"] == 0
    # Bad input: a second approval, a withdrawal without a reason; nothing changes.
    again = client.post(f"/api/itineraries/{drafted.id}/approve", headers=commander)
    assert again.status_code == 409
    no_reason = client.post(
        f"/api/itineraries/{drafted.id}/withdraw", json={"reason": ""}, headers=commander
    )
    assert no_reason.status_code == 422
    assert client.get("/api/public/itineraries").json()["total"] == 1
    withdrawn = client.post(
        f"/api/itineraries/{drafted.id}/withdraw", json={"reason": "重复发布"}, headers=commander
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert client.get("/api/public/itineraries").json()["total"] == 0
    # Drafted and published again, the case keeps its public number.
    epidemiologist = login(client, "epidemiologist")
    redraft = client.post(
        "/api/itineraries", json={"case_id": scenario.case_id}, headers=epidemiologist
    )
    assert redraft.status_code == 201 and redraft.json()["id"] != drafted.id
    client.post(f"/api/itineraries/{redraft.json()['id']}/approve", headers=commander)
    assert [i["number"] for i in client.get("/api/public/itineraries").json()["items"]] == [1]
    assert (
        db.scalar(select(CaseItinerary.state).where(CaseItinerary.id == drafted.id)) == "withdrawn"
    )


def test_drafting_refuses_unconfirmed_or_out_of_scope_cases(
    client: TestClient, db: Session, city: City
) -> None:
    now = utcnow()
    today = now.astimezone(CHINA).date()
    epidemiologist = principal(db, "epidemiologist")
    suspected = cases.create(
        db,
        principal=epidemiologist,
        data=CaseIn(resident_id=city.residents["neighbour"], report_date=today),
        now=now,
    ).case.id
    admin = principal(db, "admin")
    far = cases.create(
        db,
        principal=admin,
        data=CaseIn(
            resident_id=city.residents["m3_resident"],
            status=CaseStatus.CONFIRMED,
            onset_date=today,
            report_date=today,
        ),
        now=now,
    ).case.id
    db.commit()
    headers = login(client, "epidemiologist")
    response = client.post("/api/itineraries", json={"case_id": suspected}, headers=headers)
    assert response.status_code == 422 and "confirmed" in response.json()["detail"]
    assert (
        client.post("/api/itineraries", json={"case_id": far}, headers=headers).status_code == 403
    )
    assert (
        client.post("/api/itineraries", json={"case_id": 999_999}, headers=headers).status_code
        == 404
    )
    assert (
        client.post(
            "/api/itineraries", json={"case_id": suspected}, headers=login(client, "resident_wang")
        ).status_code
        == 403
    )
    assert db.scalar(select(CaseItinerary.id)) is None
    # A case without a travel history drafts to no stop: nothing to publish.
    empty = client.post("/api/itineraries", json={"case_id": far}, headers=login(client, "admin"))
    assert empty.status_code == 201 and empty.json()["stops"] == []
    refused = client.post(
        f"/api/itineraries/{empty.json()['id']}/approve", headers=login(client, "commander")
    )
    assert refused.status_code == 422 and "nothing to publish" in refused.json()["detail"]
    assert db.scalar(select(CaseItinerary.state)) == "draft"


def test_staff_pages_draft_and_approve_through_forms(
    client: TestClient, db: Session, city: City
) -> None:
    scenario = build(db, city)
    html = {"Accept": "text/html"}
    epidemiologist = {**login(client, "epidemiologist"), **html}
    listing = client.get("/itineraries", headers=epidemiologist)
    assert listing.status_code == 200 and 'id="draft-form"' in listing.text
    made = client.post(
        "/itineraries",
        data={"case_id": scenario.case_id},
        headers=epidemiologist,
        follow_redirects=False,
    )
    assert made.status_code == 303
    detail = client.get(made.headers["location"], headers=epidemiologist)
    assert 'id="four-eyes"' in detail.text and 'id="approve"' not in detail.text
    commander = {**login(client, "commander"), **html}
    assert 'id="approve"' in client.get(made.headers["location"], headers=commander).text
    approved = client.post(made.headers["location"] + "/approve", headers=commander)
    assert approved.status_code == 200 and 'id="public-number">1<' in approved.text
    assert (
        client.get(
            "/itineraries", headers={"Accept": "text/html"}, follow_redirects=False
        ).status_code
        == 303
    )


def test_seed_demo_publishes_itineraries_from_recorded_stays(db: Session, city: City) -> None:
    from epicontrol.portal import crossed_paths, itineraries_demo
    from epicontrol.tracing.rules import DEFAULT_RULES
    from tests.tracing.store_scenario import add_stay

    places = add_places(db, city)
    add_peers(db, city, "wang_father")
    now = utcnow()
    today = now.astimezone(CHINA).date()
    data = CaseIn(
        resident_id=city.residents["wang_father"],
        status=CaseStatus.CONFIRMED,
        onset_date=today,
        report_date=today,
    )
    cases.create(db, principal=principal(db, "epidemiologist"), data=data, now=now)
    add_stay(
        db, city.residents["wang_father"], places["market"], local(2, "10:05"), local(2, "10:40")
    )
    add_stay(
        db, city.residents["wang_father"], places["office"], local(2, "11:00"), local(2, "17:00")
    )
    db.commit()
    itineraries_demo.seed_demo(db, now=now)
    itineraries_demo.seed_demo(db, now=now)  # again: nothing more
    db.commit()
    [published] = db.scalars(select(CaseItinerary)).all()
    assert (published.state, published.public_number) == ("published", 1)
    zhang = principal(db, "resident_zhang")  # the first resident login who is not a case
    result = crossed_paths.check(db, principal=zhang, now=now, rules=DEFAULT_RULES)
    assert [m.place_name for m in result.matches] == ["惠民超市"]

"""Entries and exits: who is inside now, arrivals of a local day, daily counts, scope, page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.movements.models import Movement, RiskArea
from epicontrol.movements.presence import LOCAL_TIME, UNREGISTERED, local_date
from epicontrol.people.models import Resident
from epicontrol.places.models import Place, PlaceKind
from tests.checkpoint_fixtures import Checkpoint
from tests.factories import City, login

VISITOR = "f" * 64  # person_hash of someone who is not a registered resident


def add_places(db: Session, city: City) -> dict[str, int]:
    """A second m1 gate, m1 venues, and gates of m2 and m3, besides the factory's GATE-M1."""
    made = {"gate": db.scalars(select(Place.id).where(Place.code == "GATE-M1")).one()}
    for short, kind, division in (
        ("gate2", PlaceKind.COMMUNITY_GATE, "g2"),
        ("supermarket", PlaceKind.SUPERMARKET, "g1"),
        ("restaurant", PlaceKind.RESTAURANT, "m1"),
        ("m2_gate", PlaceKind.COMMUNITY_GATE, "m2"),
        ("m3_gate", PlaceKind.COMMUNITY_GATE, "m3"),
    ):
        place = Place(
            code=short.upper(),
            name=f"场所{short}",
            kind=kind.value,
            division_id=city.divisions[division],
        )
        db.add(place)
        db.flush()
        made[short] = place.id
    db.commit()
    return made


def add_movement(
    db: Session,
    *,
    place: int,
    at: datetime,
    direction: str,
    resident: int | None = None,
    person_hash: str | None = None,
    kind: str = "scan",
    origin: str | None = None,
) -> None:
    """One movement record as ingest stores it (`day` is the UTC date); the caller commits."""
    db.add(
        Movement(
            client_uuid=str(uuid4()),
            kind=kind,
            direction=direction,
            resident_id=resident,
            person_hash=person_hash,
            place_id=place,
            occurred_at=at,
            day=at.astimezone(UTC).date(),
            origin=origin,
        )
    )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of the deployment's local day."""
    return datetime.combine(day, time(hour, minute), LOCAL_TIME)


def moments_today(count: int) -> list[datetime]:
    """`count` increasing past instants of today's local day (even just after midnight)."""
    now = datetime.now(UTC)
    midnight = datetime.combine(local_date(now), time(0), LOCAL_TIME)
    first = max(now - timedelta(minutes=30), midnight)
    return [first + (now - first) * k / (count + 1) for k in range(1, count + 1)]


def masked(db: Session, resident_id: int) -> str:
    return db.scalars(select(Resident.name_masked).where(Resident.id == resident_id)).one()


def test_inside_now_follows_in_out_sequences_and_auto_checkout(
    client: TestClient, city: City, db: Session
) -> None:
    p, r = add_places(db, city), city.residents
    now = datetime.now(UTC)

    def ago(minutes: float) -> datetime:
        return now - timedelta(minutes=minutes)

    add_movement(db, resident=r["wang_father"], place=p["gate"], at=ago(300), direction="in")
    add_movement(db, resident=r["wang_mother"], place=p["gate"], at=ago(300), direction="in")
    add_movement(db, resident=r["wang_mother"], place=p["gate"], at=ago(60), direction="out")
    add_movement(db, resident=r["wang_mother"], place=p["m3_gate"], at=ago(30), direction="in")
    # in by one gate, out by the other: gone
    add_movement(db, resident=r["wang_child"], place=p["gate"], at=ago(180), direction="in")
    add_movement(db, resident=r["wang_child"], place=p["gate2"], at=ago(60), direction="out")
    # supermarket check-in 2 h ago has closed itself (1 h); the restaurant one (2 h) has not
    for place, minutes in (("supermarket", 120), ("restaurant", 30)):
        add_movement(
            db,
            resident=r["neighbour"],
            place=p[place],
            at=ago(minutes),
            direction="in",
            kind="checkin",
        )
    add_movement(
        db,
        resident=r["m2_resident"],
        place=p["supermarket"],
        at=ago(90),
        direction="in",
        kind="checkin",
    )
    # checking out of a shop inside the community is not leaving the community
    add_movement(db, resident=r["m3_resident"], place=p["gate"], at=ago(2 * 1440), direction="in")
    for direction, minutes in (("in", 70), ("out", 50)):
        add_movement(
            db,
            resident=r["m3_resident"],
            place=p["supermarket"],
            at=ago(minutes),
            direction=direction,
            kind="checkin",
        )
    add_movement(db, person_hash=VISITOR, place=p["gate"], at=ago(10), direction="in")
    add_movement(db, resident=r["wang_father"], place=p["gate"], at=ago(-30), direction="out")
    db.commit()

    headers = login(client, "commander")
    m1 = city.divisions["m1"]
    body = client.get(f"/api/divisions/{m1}/presence/inside", headers=headers).json()
    assert (body["total"], body["residents"], body["unregistered"]) == (4, 3, 1)
    expected = [
        (None, UNREGISTERED, p["gate"]),
        (r["neighbour"], masked(db, r["neighbour"]), p["restaurant"]),
        (r["wang_father"], masked(db, r["wang_father"]), p["gate"]),
        (r["m3_resident"], masked(db, r["m3_resident"]), p["gate"]),
    ]
    got = [(x["resident_id"], x["name_masked"], x["place_id"]) for x in body["people"]]
    assert got == expected

    page = client.get(
        f"/api/divisions/{m1}/presence/inside?offset=1&limit=2", headers=headers
    ).json()
    assert [x["resident_id"] for x in page["people"]] == [r["neighbour"], r["wang_father"]]
    past_the_end = client.get(f"/api/divisions/{m1}/presence/inside?offset=10", headers=headers)
    assert (past_the_end.json()["total"], past_the_end.json()["people"]) == (4, [])
    # the city also holds wang_mother, who went on to m3
    city_body = client.get(f"/api/divisions/{city.divisions['city']}/presence", headers=headers)
    assert city_body.json()["inside_now"] == 5

    db.expire_all()
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "movement", AuditEntry.action == "list")
    ).first()
    assert entry is not None and entry.actor == "commander" and '"view": "inside"' in entry.detail


def _arrange_a_day_of_arrivals(db: Session, city: City, day: date) -> None:
    p, r = add_places(db, city), city.residents
    gate = p["gate"]
    previous = day - timedelta(days=1)
    add_movement(
        db, resident=r["wang_father"], place=p["m3_gate"], at=local(previous, 20), direction="out"
    )
    # 07:00 local is 23:00 UTC of the day before: its `day` column is the previous date
    add_movement(db, resident=r["wang_father"], place=gate, at=local(day, 7), direction="in")
    add_movement(
        db, resident=r["wang_mother"], place=gate, at=local(previous, 23, 30), direction="in"
    )
    add_movement(db, resident=r["wang_child"], place=gate, at=local(day, 8), direction="out")
    add_movement(db, resident=r["wang_child"], place=gate, at=local(day, 10), direction="in")
    add_movement(
        db,
        resident=r["neighbour"],
        place=gate,
        at=local(day, 23, 50),
        direction="in",
        origin="420102",
    )
    for hour, place, direction in (
        (11, "m2_gate", "out"),
        (12, "gate", "in"),
        (17, "m2_gate", "out"),
    ):
        add_movement(
            db, resident=r["m2_resident"], place=p[place], at=local(day, hour), direction=direction
        )
    add_movement(db, resident=r["m2_resident"], place=gate, at=local(day, 18), direction="in")
    add_movement(db, person_hash=VISITOR, place=gate, at=local(day, 9), direction="in")
    after = day + timedelta(days=1)
    add_movement(db, resident=r["m3_resident"], place=gate, at=local(after, 0, 10), direction="in")
    db.commit()


def test_arrivals_of_a_local_day_and_daily_counts(
    client: TestClient, city: City, db: Session
) -> None:
    day = local_date(datetime.now(UTC)) - timedelta(days=2)
    _arrange_a_day_of_arrivals(db, city, day)
    r = city.residents
    headers = login(client, "commander")
    m1, s1 = city.divisions["m1"], city.divisions["s1"]

    body = client.get(f"/api/divisions/{m1}/arrivals?day={day}", headers=headers).json()
    assert (body["day"], body["total"], body["from_risk_areas"]) == (day.isoformat(), 4, 0)
    rows = body["arrivals"]
    assert [a["resident_id"] for a in rows] == [
        r["neighbour"],
        r["m2_resident"],
        None,
        r["wang_father"],
    ]
    assert rows[0]["origin"] == "420102"
    assert rows[1]["previous_place"] == "场所m2_gate"  # first arrival of the two
    assert rows[1]["arrived_at"].startswith(local(day, 12).astimezone(UTC).isoformat()[:16])
    assert rows[2]["name_masked"] == UNREGISTERED
    assert (rows[3]["previous_place"], rows[3]["previous_division"]) == ("场所m3_gate", "测试m3")
    # for the street, m2 is inside: m2_resident is no arrival there
    street = client.get(f"/api/divisions/{s1}/arrivals?day={day}", headers=headers).json()
    assert street["total"] == 3

    daily = client.get(f"/api/divisions/{m1}/movements/daily", headers=headers).json()
    assert len(daily) == 14 and daily[-1]["day"] == (day + timedelta(days=2)).isoformat()
    by_day = {d["day"]: (d["entries"], d["exits"]) for d in daily if d["entries"] or d["exits"]}
    assert by_day == {
        (day - timedelta(days=1)).isoformat(): (1, 0),
        day.isoformat(): (6, 1),
        (day + timedelta(days=1)).isoformat(): (1, 0),
    }
    assert (
        client.get(f"/api/divisions/{m1}/movements/daily?days=0", headers=headers).status_code
        == 422
    )


def test_gate_scans_count_as_inside_arrivals_and_entries_today(
    client: TestClient, city: City, checkpoint: Checkpoint
) -> None:
    scans = [
        {"uuid": str(uuid4()), "code": checkpoint.payloads[user], "occurred_at": at.isoformat()}
        for user, at in zip(
            ("resident_wang", "resident_zhang", "resident_zhang"), moments_today(3), strict=True
        )
    ]
    stored = client.post("/api/scans/batch", json={"scans": scans}, headers=checkpoint.headers)
    assert stored.status_code == 201, stored.text

    headers = login(client, "officer_m1")
    figures = client.get(f"/api/divisions/{city.divisions['m1']}/presence", headers=headers).json()
    assert (figures["inside_now"], figures["arrivals_today"]) == (1, 2)
    assert (figures["entries_today"], figures["exits_today"]) == (2, 1)
    assert figures["arrivals_from_risk_areas"] == 0


def test_officer_may_not_look_outside_their_community(client: TestClient, city: City) -> None:
    m1, m3 = city.divisions["m1"], city.divisions["m3"]
    headers = login(client, "officer_m3")
    for path in ("presence", "presence/inside", "arrivals", "movements/daily"):
        assert client.get(f"/api/divisions/{m1}/{path}", headers=headers).status_code == 403
        assert client.get(f"/api/divisions/{m3}/{path}", headers=headers).status_code == 200
    assert client.get(f"/divisions/{m1}/presence", headers=headers).status_code == 403
    resident = login(client, "resident_wang")
    assert client.get(f"/api/divisions/{m1}/presence", headers=resident).status_code == 403


def test_page_shows_figures_arrivals_and_subdivisions(
    client: TestClient, city: City, db: Session
) -> None:
    p, r = add_places(db, city), city.residents
    earlier, later = moments_today(2)
    today = local_date(later)
    db.add(RiskArea(region_code="4201", name="武汉市", starts_on=today, created_by="commander"))
    add_movement(
        db, resident=r["wang_father"], place=p["gate"], at=earlier, direction="in", origin="420106"
    )
    add_movement(db, resident=r["neighbour"], place=p["gate"], at=later, direction="in")
    db.commit()
    m1 = city.divisions["m1"]

    page = client.get(f"/divisions/{m1}/presence", headers=login(client, "officer_m1"))
    assert page.status_code == 200, page.text
    html = page.text
    for figure, value in (
        ("inside_now", "2"),
        ("arrivals_today", "2"),
        ("arrivals_from_risk_areas", "1"),
        ("entries_exits_today", "2 / 0"),
    ):
        assert f'data-figure="{figure}">{value}</dd>' in html
    assert "今日到达 Arrivals today" in html and "⚠ 武汉市" in html
    assert html.count('<tr class="risk">') == 1
    assert masked(db, r["wang_father"]) in html and masked(db, r["neighbour"]) in html
    for grid in ("g1", "g2"):
        assert f'href="/divisions/{city.divisions[grid]}/presence"' in html
    anonymous = client.get(
        f"/divisions/{m1}/presence", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

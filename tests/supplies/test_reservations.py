"""Residents reserve masks within their household's quota: one reservation per household per
round, only in the round's window, division and pharmacies; officers open rounds in their area."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry
from epicontrol.supplies.models import MaskReservation, MaskRound
from tests.factories import City
from tests.supplies.support import add_member_login, add_pharmacies, headers_for, open_round


def _reservations(db: Session, round_id: int) -> list[MaskReservation]:
    db.expire_all()
    query = select(MaskReservation).where(MaskReservation.round_id == round_id)
    return list(db.scalars(query))


def test_household_reserves_once_within_its_quota(
    client: TestClient, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(db, city, [pharmacies["PH-M1"]], supply=50, quota=5)
    wang = headers_for(db, "resident_wang")
    order = {"round_id": round_id, "place_id": pharmacies["PH-M1"]}

    too_many = client.post("/api/supplies/reservations", json={**order, "masks": 6}, headers=wang)
    assert too_many.status_code == 422
    assert "5" in too_many.json()["detail"]
    assert _reservations(db, round_id) == []

    made = client.post("/api/supplies/reservations", json={**order, "masks": 4}, headers=wang)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "confirmed" and body["masks"] == 4
    assert len(body["pickup_code"]) == 8
    assert body["pharmacy"]["name"] == "测试大药房"

    # Another member of the same household: refused, whatever they ask for.
    mother = headers_for(db, add_member_login(db, city, "wang_mother"))
    again = client.post("/api/supplies/reservations", json={**order, "masks": 1}, headers=mother)
    assert again.status_code == 409
    stored = _reservations(db, round_id)
    assert [(r.household_id, r.masks) for r in stored] == [(city.households["h1"], 4)]
    assert db.scalar(select(MaskRound.reserved).where(MaskRound.id == round_id)) == 4

    # The mother sees the household's reservation and its code; the neighbour cannot read it.
    mine = client.get("/api/supplies/reservations/mine", headers=mother).json()
    assert [r["pickup_code"] for r in mine] == [body["pickup_code"]]
    qr = client.get(f"/api/supplies/reservations/{body['id']}/qr.svg", headers=mother)
    assert qr.status_code == 200 and qr.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    zhang = headers_for(db, "resident_zhang")
    assert (
        client.get(f"/api/supplies/reservations/{body['id']}/qr.svg", headers=zhang).status_code
        == 404
    )
    assert client.get("/api/supplies/reservations/mine", headers=zhang).json() == []
    reads = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity == "mask_reservation", AuditEntry.action == "read")
    )
    assert reads == 2  # the two households' lists


def test_order_outside_window_division_or_pharmacy_is_refused(
    client: TestClient, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    m1 = open_round(db, city, [pharmacies["PH-M1"]])
    m3 = open_round(db, city, [pharmacies["PH-M3"]], division="m3")
    later = open_round(db, city, [pharmacies["PH-M1"]], now=utcnow() + timedelta(days=1))
    wang = headers_for(db, "resident_wang")

    def order(round_id: int, place: str) -> int:
        data = {"round_id": round_id, "place_id": pharmacies[place]}
        return client.post("/api/supplies/reservations", json=data, headers=wang).status_code

    assert order(m3, "PH-M3") == 404  # another community's round
    assert order(later, "PH-M1") == 422  # not open yet
    assert order(m1, "PH-M1B") == 422  # a pharmacy not in the round
    officer = headers_for(db, "officer_m1")
    data = {"round_id": m1, "place_id": pharmacies["PH-M1"]}
    assert client.post("/api/supplies/reservations", json=data, headers=officer).status_code == 403
    denied = select(AuditEntry.action).where(
        AuditEntry.actor == "officer_m1", AuditEntry.outcome == "denied"
    )
    assert list(db.scalars(denied)) == ["mask:order"]
    assert client.post("/api/supplies/reservations", json=data).status_code == 401
    assert all(_reservations(db, r) == [] for r in (m1, m3, later))
    # The household's list of rounds holds only what it may order in.
    listed = client.get("/api/supplies/rounds/open", headers=wang).json()
    assert {r["id"] for r in listed} == {m1, later}


def test_first_come_round_stops_at_its_supply(client: TestClient, city: City, db: Session) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(db, city, [pharmacies["PH-M1"]], supply=5, quota=5)
    order = {"round_id": round_id, "place_id": pharmacies["PH-M1"]}
    first = client.post(
        "/api/supplies/reservations", json=order, headers=headers_for(db, "resident_wang")
    )
    assert first.status_code == 201 and first.json()["masks"] == 5
    late = client.post(
        "/api/supplies/reservations", json=order, headers=headers_for(db, "resident_zhang")
    )
    assert late.status_code == 409
    assert "约满" in late.json()["detail"]  # the API answers in the request's language
    assert len(_reservations(db, round_id)) == 1


def test_officer_opens_rounds_only_in_their_area_with_pharmacies(
    client: TestClient, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    now = utcnow()
    data = {
        "division_id": city.divisions["m1"],
        "title_zh": "口罩第二轮",
        "allocation": "lottery",
        "masks_per_household": 5,
        "supply": 500,
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
        "pickup_starts_at": (now + timedelta(days=2)).isoformat(),
        "pickup_ends_at": (now + timedelta(days=3)).isoformat(),
        "pharmacy_ids": [pharmacies["PH-M1"], pharmacies["PH-M1B"]],
    }
    officer = headers_for(db, "officer_m1")
    bad_place = {**data, "pharmacy_ids": [pharmacies["PH-M3"]]}
    assert client.post("/api/supplies/rounds", json=bad_place, headers=officer).status_code == 422
    early_pickup = {**data, "pickup_starts_at": now.isoformat()}
    assert (
        client.post("/api/supplies/rounds", json=early_pickup, headers=officer).status_code == 422
    )
    other = headers_for(db, "officer_m3")
    assert client.post("/api/supplies/rounds", json=data, headers=other).status_code == 404
    made = client.post("/api/supplies/rounds", json=data, headers=officer)
    assert made.status_code == 201, made.text
    assert made.json()["title_en"] == "口罩第二轮"  # English title falls back to the Chinese
    assert len(made.json()["pharmacies"]) == 2
    assert [r["id"] for r in client.get("/api/supplies/rounds", headers=other).json()] == []
    assert db.scalar(select(func.count()).select_from(MaskRound)) == 1

"""Pickup at the pharmacy: a code is good once, only at its pharmacy, only in the pickup window;
every attempt is audited, refused ones too."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.supplies.models import MaskReservation
from tests.browser.support import assign_gate
from tests.factories import City
from tests.supplies.support import add_pharmacies, headers_for, open_round


def _reserve(client: TestClient, db: Session, round_id: int, place_id: int, who: str) -> str:
    order = {"round_id": round_id, "place_id": place_id}
    made = client.post("/api/supplies/reservations", json=order, headers=headers_for(db, who))
    assert made.status_code == 201, made.text
    return str(made.json()["pickup_code"])


def test_code_is_good_once_at_its_pharmacy_in_its_window(
    client: TestClient, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    now_round = open_round(db, city, [pharmacies["PH-M1"], pharmacies["PH-M1B"]], quota=3)
    later_round = open_round(db, city, [pharmacies["PH-M1"]], pickup_from=timedelta(days=1))
    code = _reserve(client, db, now_round, pharmacies["PH-M1"], "resident_wang")
    later_code = _reserve(client, db, later_round, pharmacies["PH-M1"], "resident_wang")
    assign_gate(db, username="checkpoint_m1", place_code="PH-M1B")
    counter_b = headers_for(db, "checkpoint_m1")
    officer = headers_for(db, "officer_m1")  # not posted anywhere: names the pharmacy

    def hand_out(headers: dict[str, str], typed: str, place: str | None = None) -> tuple[int, str]:
        data = {"code": typed, "place_id": pharmacies[place] if place else None}
        answer = client.post("/api/supplies/pickups", json=data, headers=headers)
        return answer.status_code, answer.json().get("reason", answer.text)

    assert hand_out(counter_b, code) == (409, "wrong_pharmacy")
    assert hand_out(officer, "ZZZZ-ZZZZ", "PH-M1") == (404, "unknown_code")
    assert hand_out(officer, later_code, "PH-M1") == (409, "outside_window")
    typed = f"{code[:4].lower()}-{code[4:].lower()} "  # as read out and typed in a hurry
    assert hand_out(officer, typed, "PH-M1") == (200, "collected")
    assert hand_out(officer, code, "PH-M1") == (409, "already_collected")
    resident = headers_for(db, "resident_wang")
    assert (
        client.post("/api/supplies/pickups", json={"code": code}, headers=resident).status_code
        == 403
    )

    db.expire_all()
    collected = db.scalars(select(MaskReservation).where(MaskReservation.pickup_code == code)).one()
    assert collected.status == "collected" and collected.collected_at is not None
    assert (
        db.scalars(
            select(MaskReservation.status).where(MaskReservation.pickup_code == later_code)
        ).one()
        == "confirmed"
    )
    attempts = list(
        db.scalars(
            select(AuditEntry.outcome)
            .where(AuditEntry.action == "dispense")
            .order_by(AuditEntry.id)
        )
    )
    assert attempts == ["refused", "refused", "refused", "allowed", "refused"]


def test_staff_posted_at_a_pharmacy_cannot_hand_out_for_another(
    client: TestClient, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(db, city, [pharmacies["PH-M1"]])
    code = _reserve(client, db, round_id, pharmacies["PH-M1"], "resident_wang")
    assign_gate(db, username="checkpoint_m1", place_code="PH-M1B")
    data = {"code": code, "place_id": pharmacies["PH-M1"]}
    posted_elsewhere = headers_for(db, "checkpoint_m1")
    assert (
        client.post("/api/supplies/pickups", json=data, headers=posted_elsewhere).status_code == 422
    )
    assign_gate(db, username="checkpoint_m1", place_code="PH-M1")
    answer = client.post("/api/supplies/pickups", json={"code": code}, headers=posted_elsewhere)
    assert answer.status_code == 200 and answer.json()["masks"] == 5
    assert answer.json()["name_masked"] == "王**"

"""Online consultation bookings: slots, booking, cancelling, staff list and done, audit, and
no slot overfilled by concurrent requests (threads on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core.audit import entries
from epicontrol.core.auth import Principal
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.errors import Conflict
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Role
from epicontrol.people.models import Resident
from epicontrol.portal import consultation
from epicontrol.portal.consultation_models import Consultation, ConsultationState
from epicontrol.portal.consultation_schemas import BookingIn
from tests.factories import City, login


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    tomorrow = datetime.now(LOCAL_TIME).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, minute, tzinfo=LOCAL_TIME)


def test_resident_books_sees_and_cancels(client: TestClient, db: Session, city: City) -> None:
    wang = login(client, "resident_wang")
    day = _tomorrow_at(0).date().isoformat()
    slots = client.get(f"/api/consultations/slots?day={day}", headers=wang).json()
    assert len(slots) == 48  # 08:00-20:00 in 15 minutes
    assert all(s["free"] == s["capacity"] == 2 for s in slots)
    slot = _tomorrow_at(9, 15).isoformat()
    booked = client.post(
        "/api/consultations",
        json={"slot_at": slot, "symptoms_summary": " 咳嗽两天 "},
        headers=wang,
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["symptoms_summary"] == "咳嗽两天"
    taken = client.get(f"/api/consultations/slots?day={day}", headers=wang).json()
    assert [s["booked"] for s in taken].count(1) == 1
    # One open booking at a time.
    again = client.post("/api/consultations", json={"slot_at": slot}, headers=wang)
    assert again.status_code == 409 and "already have" in again.json()["detail"]
    mine = client.get("/api/consultations/mine", headers=wang).json()
    assert [m["state"] for m in mine] == ["booked"]
    cancelled = client.post(f"/api/consultations/{mine[0]['id']}/cancel", headers=wang)
    assert cancelled.json()["state"] == "cancelled"
    assert (
        client.post(f"/api/consultations/{mine[0]['id']}/cancel", headers=wang).status_code == 409
    )
    # Cancelling frees the seat and lets the resident book again.
    assert (
        client.post("/api/consultations", json={"slot_at": slot}, headers=wang).status_code == 201
    )
    # A booking whose slot is over, never marked done, does not stop the next one.
    db.execute(
        update(Consultation)
        .where(Consultation.state == ConsultationState.BOOKED.value)
        .values(slot_at=_tomorrow_at(9) - timedelta(days=2))
    )
    db.commit()
    later = {"slot_at": _tomorrow_at(10).isoformat()}
    assert client.post("/api/consultations", json=later, headers=wang).status_code == 201
    zhang = login(client, "resident_zhang")
    assert (
        client.post(f"/api/consultations/{mine[0]['id']}/cancel", headers=zhang).status_code == 404
    )
    actions = [e.action for e in entries(db, entity="consultation")]
    assert actions.count("create") == 3 and actions.count("cancel") == 1


def test_bad_slots_are_refused_and_nothing_stored(
    client: TestClient, db: Session, city: City
) -> None:
    wang = login(client, "resident_wang")
    yesterday = _tomorrow_at(10) - timedelta(days=2)
    for slot_at in (
        _tomorrow_at(9, 10).isoformat(),  # not a slot start
        _tomorrow_at(7, 45).isoformat(),  # before the service opens
        _tomorrow_at(20, 0).isoformat(),  # the service has closed
        yesterday.isoformat(),  # past
        (_tomorrow_at(10) + timedelta(days=5)).isoformat(),  # too far ahead
        "2026-12-01T10:00:00",  # no time zone
        "tomorrow",
    ):
        response = client.post("/api/consultations", json={"slot_at": slot_at}, headers=wang)
        assert response.status_code == 422, slot_at
    too_long = {"slot_at": _tomorrow_at(10).isoformat(), "symptoms_summary": "x" * 501}
    assert client.post("/api/consultations", json=too_long, headers=wang).status_code == 422
    assert db.scalars(select(Consultation)).all() == []
    far = (date.today() + timedelta(days=9)).isoformat()
    assert client.get(f"/api/consultations/slots?day={far}", headers=wang).status_code == 422
    staff = login(client, "clinic_s1")
    slot = {"slot_at": _tomorrow_at(10).isoformat()}
    assert client.post("/api/consultations", json=slot, headers=staff).status_code == 403


def test_staff_list_their_divisions_bookings_and_mark_them_done(
    client: TestClient, db: Session, city: City
) -> None:
    slot = {"slot_at": _tomorrow_at(11).isoformat(), "symptoms_summary": "发热"}
    wang = login(client, "resident_wang")
    booking = client.post("/api/consultations", json=slot, headers=wang).json()
    _book_directly(db, city, "m3_resident", _tomorrow_at(11))  # outside clinic_s1's scope
    staff = login(client, "clinic_s1")
    day = _tomorrow_at(0).date().isoformat()
    listed = client.get(f"/api/consultations?day={day}", headers=staff).json()
    assert [b["id"] for b in listed] == [booking["id"]]
    assert listed[0]["name_masked"] == db.scalar(
        select(Resident.name_masked).where(Resident.id == city.residents["wang_father"])
    )
    assert client.get(f"/api/consultations?day={day}", headers=wang).status_code == 403
    done = client.post(f"/api/consultations/{booking['id']}/done", headers=staff)
    assert done.json()["state"] == "done"
    assert client.post(f"/api/consultations/{booking['id']}/done", headers=staff).status_code == 409
    other = db.scalar(
        select(Consultation.id).where(Consultation.resident_id == city.residents["m3_resident"])
    )
    assert client.post(f"/api/consultations/{other}/done", headers=staff).status_code == 403
    actions = [(e.action, e.outcome) for e in entries(db, entity="consultation")]
    assert ("list", "allowed") in actions and ("done", "allowed") in actions
    assert ("consult:manage", "denied") in actions
    # Done frees the resident to book again; the slot's seat stays used.
    again = client.post(
        "/api/consultations", json={"slot_at": _tomorrow_at(12).isoformat()}, headers=wang
    )
    assert again.status_code == 201


def _principal(db: Session, city: City, short: str) -> Principal:
    resident = db.get(Resident, city.residents[short])
    assert resident is not None
    return Principal(
        user_id=1000 + resident.id,
        username=short,
        role=Role.RESIDENT,
        division_id=resident.division_id,
        division_path="/",
        resident_id=resident.id,
        household_id=resident.household_id,
    )


def _book_directly(db: Session, city: City, short: str, slot_at: datetime) -> None:
    consultation.book(
        db,
        principal=_principal(db, city, short),
        data=BookingIn(slot_at=slot_at),
        now=datetime.now(UTC),
    )
    db.commit()


def _race(db_url: str, principals: list[Principal], slot_at: datetime) -> list[str]:
    """Every principal books `slot_at` at the same moment, each in its own session/thread."""
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(len(principals))
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(principal: Principal) -> None:
        with sessions() as session:
            start.wait()
            try:
                consultation.book(
                    session,
                    principal=principal,
                    data=BookingIn(slot_at=slot_at),
                    now=datetime.now(UTC),
                )
                session.commit()
                outcome = "booked"
            except Conflict as refused:
                session.rollback()
                outcome = "full" if "fully booked" in refused.message else "holds one"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=book, args=(p,)) for p in principals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_concurrent_bookings_never_overfill_a_slot(db_url: str, db: Session, city: City) -> None:
    """Six residents book the same slot at once: exactly its capacity of them get it; one
    resident sending four requests at once gets one booking."""
    capacity = consultation.DEFAULT_RULES.capacity
    slot_at = _tomorrow_at(15)
    principals = [_principal(db, city, short) for short in city.residents]
    outcomes = _race(db_url, principals, slot_at)
    assert outcomes == ["booked"] * capacity + ["full"] * (len(principals) - capacity)
    db.expire_all()
    stored = db.scalars(select(Consultation).where(Consultation.slot_at == slot_at)).all()
    assert sorted(b.seat or 0 for b in stored) == list(range(1, capacity + 1))
    assert {b.state for b in stored} == {ConsultationState.BOOKED.value}

    late = next(p for p in principals if p.resident_id not in {b.resident_id for b in stored})
    assert _race(db_url, [late] * 4, _tomorrow_at(16)) == ["booked"] + ["holds one"] * 3
    mine = db.scalars(select(Consultation).where(Consultation.resident_id == late.resident_id))
    assert len(mine.all()) == 1


def test_booking_and_staff_pages(client: TestClient, db: Session, city: City) -> None:
    anonymous = client.get(
        "/public/consult", headers={"accept": "text/html"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    wang = login(client, "resident_wang")
    day = _tomorrow_at(0).date().isoformat()
    page = client.get(f"/public/consult?day={day}&symptoms=咳嗽&lang=zh", headers=wang)
    assert "免费在线问诊" in page.text and ">咳嗽</textarea>" in page.text
    slot = _tomorrow_at(10, 30).isoformat()
    booked = client.post(
        "/public/consult/book",
        data={"slot_at": slot, "symptoms_summary": "咳嗽"},
        headers=wang,
        follow_redirects=False,
    )
    assert booked.status_code == 303 and f"day={day}&booked=" in booked.headers["location"]
    twice = client.post("/public/consult/book?lang=en", data={"slot_at": slot}, headers=wang)
    assert twice.status_code == 409 and "already have a booked consultation" in twice.text
    full = client.post("/public/consult/book?lang=zh", data={"slot_at": slot}, headers=wang)
    assert full.status_code == 409 and "您已有一个预约" in full.text
    nothing = client.post("/public/consult/book?lang=en", data={}, headers=wang)
    assert nothing.status_code == 422 and "Choose a time slot." in nothing.text
    staff = login(client, "clinic_s1")
    listing = client.get(f"/public/consult/manage?day={day}&lang=en", headers=staff)
    assert "Online consultations of" in listing.text and "咳嗽" in listing.text
    booking_id = db.scalar(select(Consultation.id))
    done = client.post(f"/public/consult/{booking_id}/done", headers=staff, follow_redirects=False)
    assert done.status_code == 303
    listing = client.get(f"/public/consult/manage?day={day}&lang=zh", headers=staff)
    assert "已完成" in listing.text and "标记为已完成" not in listing.text

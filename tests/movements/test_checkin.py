"""Venue check-in, the checkpoint operator's scan endpoint, and place QR codes and posters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.deps import load_principal
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.models import AuditEntry, User
from epicontrol.health_code import rendering
from epicontrol.movements import checkin, rules
from epicontrol.movements.models import Direction, Movement, MovementKind, TemperatureAlert
from tests.browser.support import GATE, assign_gate, issue_passes
from tests.factories import PASSWORD, City, login

T0 = datetime(2026, 2, 11, 6, 0, tzinfo=UTC)  # 14:00 in China Standard Time


@pytest.fixture
def payloads(db: Session, city: City) -> dict[str, str]:
    """Pass payloads of wang and his neighbour zhang (issued directly: no device, no logins)."""
    issued = issue_passes(db, city, "wang_father", "neighbour")
    return {short: held.payload for short, held in issued.items()}


def _principal(db: Session, username: str) -> Principal:
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    found = load_principal(db, user_id)
    assert found is not None
    return found


def _check(
    db: Session,
    username: str,
    *,
    at: datetime = T0,
    direction: Direction | None = None,
    uuid: str | None = None,
) -> checkin.CheckinResult:
    place = checkin.place_by_code(db, code=GATE)
    return checkin.record(
        db,
        principal=_principal(db, username),
        place=place,
        client_uuid=uuid or str(uuid4()),
        direction=direction,
        now=at,
    )


def _checkins(db: Session) -> list[tuple[str | None, int | None]]:
    db.expire_all()
    query = select(Movement.direction, Movement.resident_id).order_by(Movement.occurred_at)
    return [(d, r) for d, r in db.execute(query.where(Movement.kind == MovementKind.CHECKIN))]


def _browser_login(client: TestClient, username: str) -> None:
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


# ---- check-in service ----------------------------------------------------------------------


def test_check_in_then_out_records_both_directions(db: Session, city: City) -> None:
    came = _check(db, "resident_wang", direction=Direction.IN)
    left = _check(db, "resident_wang", at=T0 + timedelta(minutes=40), direction=Direction.OUT)
    assert (came.direction, came.is_stored, came.presence.is_checked_in) == ("in", True, True)
    assert (left.direction, left.is_stored, left.presence.is_checked_in) == ("out", True, False)
    wang = city.residents["wang_father"]
    assert _checkins(db) == [("in", wang), ("out", wang)]


def test_same_uuid_sent_twice_stores_one_check_in(db: Session, city: City) -> None:
    uuid = str(uuid4())
    first = _check(db, "resident_wang", direction=Direction.IN, uuid=uuid)
    again = _check(db, "resident_wang", direction=Direction.IN, uuid=uuid.upper())
    assert (first.is_stored, again.is_stored, again.direction) == (True, False, "in")
    assert len(_checkins(db)) == 1


def test_scanning_again_without_a_direction_checks_out(db: Session, city: City) -> None:
    directions = [
        _check(db, "resident_wang", at=T0 + timedelta(minutes=m)).direction for m in (0, 5)
    ]
    assert directions == ["in", "out"]


def test_checking_in_while_checked_in_stores_nothing(db: Session, city: City) -> None:
    _check(db, "resident_wang", direction=Direction.IN)
    twice = _check(db, "resident_wang", at=T0 + timedelta(minutes=1), direction=Direction.IN)
    assert (twice.is_stored, twice.presence.is_checked_in) == (False, True)
    assert len(_checkins(db)) == 1


def test_check_in_lapses_after_the_places_auto_checkout(db: Session, city: City) -> None:
    _check(db, "resident_wang", direction=Direction.IN)
    place = checkin.place_by_code(db, code=GATE)
    dwell = rules.auto_checkout_after(place.kind)
    wang = city.residents["wang_father"]
    before = checkin.presence(
        db, resident_id=wang, place=place, now=T0 + dwell - timedelta(seconds=1)
    )
    after = checkin.presence(db, resident_id=wang, place=place, now=T0 + dwell)
    assert before.is_checked_in and before.auto_checkout_at == T0 + dwell
    assert not after.is_checked_in and after.was_checked_out_automatically
    # the lapsed check-in is over: the next scan checks in again, not out
    assert _check(db, "resident_wang", at=T0 + dwell).direction == "in"


def test_uuid_of_someone_elses_check_in_is_refused(db: Session, city: City) -> None:
    uuid = str(uuid4())
    _check(db, "resident_wang", uuid=uuid)
    with pytest.raises(Conflict, match="already used"):
        _check(db, "resident_zhang", uuid=uuid)


def test_only_a_login_linked_to_a_resident_can_check_in(db: Session, city: City) -> None:
    with pytest.raises(InvalidInput, match="linked to a resident"):
        _check(db, "officer_m1")


def test_malformed_uuid_is_refused(db: Session, city: City) -> None:
    with pytest.raises(InvalidInput, match="not a uuid"):
        _check(db, "resident_wang", uuid="not-a-uuid")


def test_check_in_and_out_are_audited(db: Session, city: City) -> None:
    _check(db, "resident_wang", direction=Direction.IN)
    _check(db, "resident_wang", direction=Direction.OUT)
    mine = select(AuditEntry).where(AuditEntry.actor == "resident_wang")
    entries = db.scalars(mine.order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["checkin", "checkout"]
    assert {e.entity for e in entries} == {"movement"}
    assert all(GATE in e.detail for e in entries)


# ---- check-in pages -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_and_back(client: TestClient, city: City) -> None:
    page = client.get(f"/c/{GATE}", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=/c/{GATE}"


def test_check_in_page_checks_in_and_shows_the_times(
    client: TestClient, city: City, db: Session
) -> None:
    _browser_login(client, "resident_wang")
    page = client.get(f"/c/{GATE}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "测试小区东门" in page.text and 'data-state="none"' in page.text
    uuid = page.text.split('name="client_uuid" value="')[1].split('"')[0]
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"client_uuid": uuid, "direction": "in", "csrf_token": token}
    for _ in range(2):  # a double tap sends the same uuid twice
        sent = client.post(f"/c/{GATE}", data=form, follow_redirects=False)
        assert (sent.status_code, sent.headers["location"]) == (303, f"/c/{GATE}")
    assert len(_checkins(db)) == 1
    shown = client.get(f"/c/{GATE}").text
    since = db.scalars(select(Movement.occurred_at)).one()
    ends = since + rules.auto_checkout_after("community_gate")
    assert 'data-state="in"' in shown and "签出 Check out" in shown
    assert (
        f'Checked in since <time datetime="{since.isoformat()}">{checkin.local_clock(since)}'
        in shown
    )
    assert f">{checkin.local_clock(ends)}</time>" in shown


def test_check_in_page_tells_a_staff_login_it_cannot_check_in(
    client: TestClient, city: City
) -> None:
    _browser_login(client, "officer_m1")
    page = client.get(f"/c/{GATE}")
    assert page.status_code == 200
    assert "Only a login linked to a resident can check in" in page.text
    assert 'name="client_uuid"' not in page.text


def test_unknown_place_is_a_404(client: TestClient, city: City) -> None:
    _browser_login(client, "resident_wang")
    assert client.get("/c/NO-SUCH-PLACE").status_code == 404


# ---- checkpoint operator page ---------------------------------------------------------------


def _forged(payload: str) -> str:
    """The payload with its signature's first character changed. Not the last ones: "AA" there
    zeroes the signature's top byte, which is often zero already (Ed25519's s is below 2^253)."""
    body, signature = payload.rsplit(".", 1)
    return f"{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def _scan(code: str, **extra: object) -> dict[str, object]:
    return {"uuid": str(uuid4()), "code": code, **extra}


def test_operator_scan_is_recorded_at_their_gate(
    client: TestClient, city: City, payloads: dict[str, str], db: Session
) -> None:
    gate_id = assign_gate(db)
    headers = login(client, "checkpoint_m1")
    scan = _scan(payloads["wang_father"])
    first = client.post("/checkpoint/scan", json=scan, headers=headers)
    again = client.post("/checkpoint/scan", json=scan, headers=headers)  # a resend
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["colour"], body["direction"], body["name_masked"]) == ("green", "in", "王**")
    assert (body["stored"], again.json()["stored"]) == (True, False)
    db.expire_all()
    movement = db.scalars(select(Movement)).one()
    assert (movement.place_id, movement.device_id, movement.kind) == (gate_id, None, "scan")
    purposes = db.scalars(select(AuditEntry.purpose).where(AuditEntry.action == "ingest")).all()
    assert "checkpoint operator checkpoint_m1" in purposes


def test_operator_page_shows_their_gate(client: TestClient, city: City, db: Session) -> None:
    assign_gate(db)
    _browser_login(client, "checkpoint_m1")
    page = client.get("/checkpoint")
    assert page.status_code == 200
    assert f'data-place="{GATE}"' in page.text and "/static/checkpoint.js" in page.text


def test_operator_without_a_gate_or_at_another_place_is_refused(
    client: TestClient, city: City, payloads: dict[str, str], db: Session
) -> None:
    db.execute(update(User).where(User.username == "checkpoint_m1").values(place_id=None))
    db.commit()
    headers = login(client, "checkpoint_m1")
    scan = _scan(payloads["wang_father"])
    unassigned = client.post("/checkpoint/scan", json=scan, headers=headers)
    assert unassigned.status_code == 403 and "No checkpoint is assigned" in unassigned.text
    assign_gate(db)
    elsewhere = client.post("/checkpoint/scan", json={**scan, "place": "OTHER"}, headers=headers)
    assert elsewhere.status_code == 403 and f"({GATE}) only" in elsewhere.json()["detail"]


def test_officer_scans_at_a_place_they_choose_in_scope(
    client: TestClient, city: City, payloads: dict[str, str]
) -> None:
    code = payloads["neighbour"]
    officer_m1, officer_m3 = login(client, "officer_m1"), login(client, "officer_m3")
    mine = client.post("/checkpoint/scan", json=_scan(code, place=GATE), headers=officer_m1)
    assert mine.status_code == 201, mine.text
    other = client.post("/checkpoint/scan", json=_scan(code, place=GATE), headers=officer_m3)
    assert other.status_code == 403 and "outside your scope" in other.json()["detail"]
    unchosen = client.post("/checkpoint/scan", json=_scan(code), headers=officer_m1)
    assert unchosen.status_code == 422 and "choose a place" in unchosen.json()["detail"]


def test_officer_without_a_place_is_offered_the_places_in_scope(
    client: TestClient, city: City
) -> None:
    _browser_login(client, "officer_m1")
    page = client.get("/checkpoint")
    assert page.status_code == 200
    assert f'href="/checkpoint?place={GATE}"' in page.text and 'id="checkpoint"' not in page.text


def test_residents_and_anonymous_callers_cannot_operate(
    client: TestClient, city: City, payloads: dict[str, str]
) -> None:
    scan = _scan(payloads["wang_father"], place=GATE)
    resident = client.post("/checkpoint/scan", json=scan, headers=login(client, "resident_zhang"))
    assert resident.status_code == 403
    assert client.post("/checkpoint/scan", json=scan).status_code == 401


def test_scan_body_sent_as_a_plain_form_is_refused(
    client: TestClient, city: City, payloads: dict[str, str], db: Session
) -> None:
    """A cross-site form can post text/plain but not JSON: such a body must not be read."""
    assign_gate(db)
    _browser_login(client, "checkpoint_m1")
    body = json.dumps(_scan(payloads["wang_father"]))
    plain = {"content-type": "text/plain"}
    # Without the page's token the CSRF check refuses it first; with it, the body is still unread.
    assert client.post("/checkpoint/scan", content=body, headers=plain).status_code == 403
    page = client.get("/checkpoint").text
    token = page.split('<meta name="csrf-token" content="')[1].split('"')[0]
    sent = client.post("/checkpoint/scan", content=body, headers={**plain, "x-csrf-token": token})
    assert sent.status_code == 422
    db.expire_all()
    assert db.scalars(select(Movement)).all() == []


def test_forged_pass_comes_back_as_a_json_message(
    client: TestClient, city: City, payloads: dict[str, str], db: Session
) -> None:
    assign_gate(db)
    forged = _forged(payloads["wang_father"])
    response = client.post(
        "/checkpoint/scan", json=_scan(forged), headers=login(client, "checkpoint_m1")
    )
    assert response.status_code == 422
    assert "forged or altered" in response.json()["detail"]


def test_fever_at_the_operator_page_raises_an_alert(
    client: TestClient, city: City, payloads: dict[str, str], db: Session
) -> None:
    assign_gate(db)
    scan = _scan(payloads["wang_father"], temperature=38.4)
    response = client.post("/checkpoint/scan", json=scan, headers=login(client, "checkpoint_m1"))
    assert response.json()["temperature_alert"] is True
    db.expire_all()
    assert db.scalars(select(TemperatureAlert.temperature)).one() == 38.4


# ---- place QR codes and posters -------------------------------------------------------------


def test_place_qr_carries_the_absolute_check_in_address(client: TestClient, city: City) -> None:
    headers = login(client, "resident_wang")
    svg = client.get(f"/api/places/{GATE}/qr.svg", headers=headers)
    png = client.get(f"/api/places/{GATE}/qr.png", headers=headers)
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.content == rendering.qr_svg(f"http://testserver/c/{GATE}")
    assert png.content == rendering.qr_png(f"http://testserver/c/{GATE}")
    assert client.get(f"/api/places/{GATE}/qr.svg").status_code == 401
    assert client.get("/api/places/NOPE/qr.png", headers=headers).status_code == 404


def test_poster_is_printed_by_officers_for_places_in_their_scope(
    client: TestClient, city: City
) -> None:
    poster = client.get(f"/places/{GATE}/poster", headers=login(client, "officer_m1"))
    assert poster.status_code == 200
    for text in ("测试小区东门", "请扫码签到", "Scan to check in", f"http://testserver/c/{GATE}"):
        assert text in poster.text
    assert 'src="data:image/svg+xml;base64,' in poster.text
    other = client.get(f"/places/{GATE}/poster", headers=login(client, "officer_m3"))
    assert other.status_code == 403

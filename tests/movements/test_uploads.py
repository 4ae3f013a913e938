"""Batch uploads: answered once checked and durable, moved into movements exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.core.models import AuditEntry
from epicontrol.movements import devices, uploads
from epicontrol.movements.models import Movement, ScanUpload
from epicontrol.movements.schemas import ScanIn
from tests.checkpoint_fixtures import Checkpoint
from tests.factories import TEST_SECRET


def _scan(code: str, *, minutes_ago: float = 1) -> dict[str, object]:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"uuid": str(uuid4()), "code": code, "occurred_at": at.isoformat()}


def _count(db: Session, table: type[Movement] | type[ScanUpload]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(table)) or 0


def _move(db_url: str) -> None:
    """What the background mover does (it may have done it already)."""
    uploads.move_pending(session_factory(engine_for(db_url)), secret=TEST_SECRET)


def test_upload_is_acknowledged_then_moved_with_directions_in_time_order(
    client: TestClient, checkpoint: Checkpoint, db: Session, db_url: str
) -> None:
    code = checkpoint.payloads["resident_zhang"]
    scans = [_scan(code, minutes_ago=m) for m in (90, 240, 150, 30)]
    response = client.post("/api/scans/upload", json={"scans": scans}, headers=checkpoint.headers)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 4
    _move(db_url)
    assert _count(db, ScanUpload) == 0
    stored = db.scalars(select(Movement).order_by(Movement.occurred_at)).all()
    assert [m.direction for m in stored] == ["in", "out", "in", "out"]
    assert {m.client_uuid for m in stored} == {s["uuid"] for s in scans}
    entry = db.scalars(select(AuditEntry).where(AuditEntry.actor == "upload-mover")).one()
    assert (entry.action, entry.actor_role, entry.purpose) == (
        "ingest",
        "system",
        "checkpoint east gate scanner",
    )


def test_upload_with_one_bad_scan_lands_nothing(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    good = [_scan(checkpoint.payloads["resident_wang"], minutes_ago=m) for m in range(1, 5)]
    bad = _scan("EC1.NOTAREALPASSID.123.abc")
    response = client.post(
        "/api/scans/upload", json={"scans": [*good, bad]}, headers=checkpoint.headers
    )
    assert response.status_code == 422
    assert "scan 4" in response.json()["detail"] and "Nothing stored" in response.json()["detail"]
    assert (_count(db, ScanUpload), _count(db, Movement)) == (0, 0)


def test_resent_upload_and_scans_already_stored_are_stored_once(
    client: TestClient, checkpoint: Checkpoint, db: Session, db_url: str
) -> None:
    code = checkpoint.payloads["resident_wang"]
    scans = [_scan(code, minutes_ago=m) for m in range(1, 40)]
    single = client.post("/api/scans", json=scans[0], headers=checkpoint.headers)
    assert single.status_code == 201
    for _ in range(2):
        answer = client.post("/api/scans/upload", json={"scans": scans}, headers=checkpoint.headers)
        assert answer.status_code == 202, answer.text
    _move(db_url)
    assert _count(db, Movement) == len(scans)


def test_upload_landed_before_a_crash_is_moved_after_restart(
    client: TestClient, checkpoint: Checkpoint, db: Session, db_url: str
) -> None:
    sessions = session_factory(engine_for(db_url))
    device = devices.cached(checkpoint.headers["X-Device-Key"])
    if device is None:
        with sessions() as lookup:
            device = devices.authenticate(lookup, checkpoint.headers["X-Device-Key"])
    scans = [ScanIn.model_validate(_scan(checkpoint.payloads["resident_wang"]))]
    body = b'{"scans":[' + scans[0].model_dump_json().encode() + b"]}"
    with sessions() as landing:  # landed and committed; no mover ran in this "process"
        uploads.land(
            landing, device=device, scans=scans, body=body, secret=TEST_SECRET, now=utcnow()
        )
        landing.commit()
    _move(db_url)  # what the restarted server's mover does first
    assert (_count(db, ScanUpload), _count(db, Movement)) == (0, 1)

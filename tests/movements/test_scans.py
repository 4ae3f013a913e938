"""Scan ingest: idempotent retries, direction, colour, temperature alerts, atomic batches."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.movements.models import Movement, TemperatureAlert
from tests.checkpoint_fixtures import Checkpoint
from tests.factories import City


def _scan(code: str, *, minutes_ago: float = 1, **extra: object) -> dict[str, object]:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"uuid": str(uuid4()), "code": code, "occurred_at": at.isoformat(), **extra}


def _stored(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Movement)) or 0


def test_scan_is_stored_and_answers_direction_and_colour(
    client: TestClient, city: City, checkpoint: Checkpoint, db: Session
) -> None:
    response = client.post(
        "/api/scans", json=_scan(checkpoint.payloads["resident_wang"]), headers=checkpoint.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["stored"], body["direction"], body["colour"]) == (True, "in", "green")
    assert body["name_masked"] == "王**"
    db.expire_all()
    movement = db.scalars(select(Movement)).one()
    assert movement.resident_id == city.residents["wang_father"]
    assert movement.place_id == checkpoint.place_id


def test_retry_with_same_uuid_three_times_stores_one_scan(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    scan = _scan(checkpoint.payloads["resident_wang"])
    answers = [client.post("/api/scans", json=scan, headers=checkpoint.headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [201] * 4
    assert [a.json()["stored"] for a in answers] == [True, False, False, False]
    assert {a.json()["direction"] for a in answers} == {"in"}
    assert _stored(db) == 1


def test_direction_alternates_per_person_at_a_gate(
    client: TestClient, checkpoint: Checkpoint
) -> None:
    code = checkpoint.payloads["resident_wang"]
    directions = [
        client.post(
            "/api/scans", json=_scan(code, minutes_ago=m), headers=checkpoint.headers
        ).json()["direction"]
        for m in (30, 20, 10)
    ]
    assert directions == ["in", "out", "in"]


def test_typed_pass_id_is_accepted(client: TestClient, checkpoint: Checkpoint) -> None:
    typed = checkpoint.pass_ids["resident_zhang"].lower()
    response = client.post("/api/scans", json=_scan(typed), headers=checkpoint.headers)
    assert response.status_code == 201, response.text
    assert response.json()["name_masked"] == "张*"


def test_tampered_pass_is_refused_with_a_clear_message(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    payload = checkpoint.payloads["resident_wang"]
    prefix, pass_id, epoch, signature = payload.split(".")
    other_id = checkpoint.pass_ids["resident_zhang"]
    for forged in (
        f"{prefix}.{other_id}.{epoch}.{signature}",  # someone else's id under wang's signature
        f"{prefix}.{pass_id}.{int(epoch) + 1}.{signature}",  # altered issue time
        f"{prefix}.{pass_id}.{epoch}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}",
    ):
        response = client.post("/api/scans", json=_scan(forged), headers=checkpoint.headers)
        assert response.status_code == 422
        assert "forged or altered" in response.json()["detail"]
    assert _stored(db) == 0


def test_pass_signed_by_another_deployment_is_refused(
    client: TestClient, checkpoint: Checkpoint
) -> None:
    from epicontrol.health_code import passes

    foreign = passes.encode(
        passes.signing_key("another deployment"),
        checkpoint.pass_ids["resident_wang"],
        datetime.now(UTC),
    )
    response = client.post("/api/scans", json=_scan(foreign), headers=checkpoint.headers)
    assert response.status_code == 422
    assert "forged or altered" in response.json()["detail"]


def test_unknown_typed_pass_is_refused(client: TestClient, checkpoint: Checkpoint) -> None:
    response = client.post("/api/scans", json=_scan("A" * 16), headers=checkpoint.headers)
    assert response.status_code == 422
    assert "unknown pass" in response.json()["detail"]


def test_abnormal_temperature_raises_an_alert_for_the_community(
    client: TestClient, city: City, checkpoint: Checkpoint, db: Session
) -> None:
    code = checkpoint.payloads["resident_wang"]
    normal = client.post(
        "/api/scans", json=_scan(code, temperature=36.6), headers=checkpoint.headers
    )
    fever = client.post(
        "/api/scans", json=_scan(code, temperature=38.2), headers=checkpoint.headers
    )
    assert normal.json()["temperature_alert"] is False
    assert fever.json()["temperature_alert"] is True
    db.expire_all()
    alert = db.scalars(select(TemperatureAlert)).one()
    assert alert.temperature == 38.2
    assert alert.division_id == city.divisions["m1"]


def test_implausible_temperature_and_future_time_are_refused(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    code = checkpoint.payloads["resident_wang"]
    hot = client.post("/api/scans", json=_scan(code, temperature=52), headers=checkpoint.headers)
    assert hot.status_code == 422 and "not plausible" in hot.json()["detail"]
    future = client.post(
        "/api/scans", json=_scan(code, minutes_ago=-60), headers=checkpoint.headers
    )
    assert future.status_code == 422 and "future" in future.json()["detail"]
    naive = _scan(code)
    naive["occurred_at"] = "2026-01-01T10:00:00"
    assert client.post("/api/scans", json=naive, headers=checkpoint.headers).status_code == 422
    assert _stored(db) == 0


def test_offline_batch_with_original_times_out_of_order(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    code = checkpoint.payloads["resident_zhang"]
    scans = [_scan(code, minutes_ago=m) for m in (90, 240, 150, 30)]
    response = client.post("/api/scans/batch", json={"scans": scans}, headers=checkpoint.headers)
    assert response.status_code == 201, response.text
    assert response.json()["stored"] == 4
    # directions follow the original times, not the upload order
    by_time = sorted(zip((90, 240, 150, 30), response.json()["results"], strict=True), reverse=True)
    assert [r["direction"] for _, r in by_time] == ["in", "out", "in", "out"]
    assert _stored(db) == 4


def test_batch_with_one_bad_scan_stores_nothing(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    good = [_scan(checkpoint.payloads["resident_wang"], minutes_ago=m) for m in range(1, 50)]
    bad = _scan("EC1.NOTAREALPASSID.123.abc")
    response = client.post(
        "/api/scans/batch", json={"scans": [*good, bad]}, headers=checkpoint.headers
    )
    assert response.status_code == 422
    assert "scan 49" in response.json()["detail"] and "Nothing stored" in response.json()["detail"]
    assert _stored(db) == 0


def test_large_batch_is_stored_once_even_when_resent(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    codes = list(checkpoint.payloads.values())
    scans = [_scan(codes[i % 2], minutes_ago=i / 10) for i in range(2000)]
    first = client.post("/api/scans/batch", json={"scans": scans}, headers=checkpoint.headers)
    again = client.post("/api/scans/batch", json={"scans": scans}, headers=checkpoint.headers)
    assert (first.json()["stored"], again.json()["stored"]) == (2000, 0)
    assert again.json()["duplicates"] == 2000
    assert _stored(db) == 2000


def test_scan_without_a_device_key_is_refused(client: TestClient, checkpoint: Checkpoint) -> None:
    scan = _scan(checkpoint.payloads["resident_wang"])
    assert client.post("/api/scans", json=scan).status_code == 401
    wrong = {"X-Device-Key": "ecd_not-a-key"}
    assert client.post("/api/scans", json=scan, headers=wrong).status_code == 401


def test_single_scans_are_audited_once_per_commit(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    scan = _scan(checkpoint.payloads["resident_wang"])
    assert client.post("/api/scans", json=scan, headers=checkpoint.headers).status_code == 201
    db.expire_all()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "ingest")).one()
    assert (entry.entity, entry.actor, entry.outcome) == ("movement", "anonymous", "allowed")
    assert json.loads(entry.detail)["stored"] == 1
    assert entry.at.tzinfo is not None and abs(entry.at - datetime.now(UTC)) < timedelta(minutes=5)


def test_day_of_a_scan_is_its_utc_date(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    # 20:00 UTC yesterday is 04:00 today on a device in UTC+8: the record belongs to yesterday.
    yesterday = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)
    yesterday -= timedelta(days=1)
    scan = _scan(checkpoint.payloads["resident_wang"])
    scan["occurred_at"] = yesterday.astimezone(timezone(timedelta(hours=8))).isoformat()
    response = client.post("/api/scans", json=scan, headers=checkpoint.headers)
    assert response.status_code == 201, response.text
    db.expire_all()
    movement = db.scalars(select(Movement)).one()
    assert (movement.day, movement.occurred_at) == (yesterday.date(), yesterday)


def test_a_body_that_is_not_utf8_json_is_a_422_and_stores_nothing(
    client: TestClient, city: City, checkpoint: Checkpoint, db: Session
) -> None:
    """Found by fuzzing: the 422 echoed the raw bytes, which FastAPI's encoder could not
    decode (a 500)."""
    garbage = b"\x1c\xf6>E?\xcd"
    for path in ("/api/scans", "/api/scans/batch", "/api/scans/upload"):
        response = client.post(
            path,
            content=garbage,
            headers={**checkpoint.headers, "content-type": "application/json"},
        )
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"][0]["type"] == "json_invalid"
    assert _stored(db) == 0

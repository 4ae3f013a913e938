"""Arrow uploads: checked column-wise, acknowledged, moved exactly once; a bad row lands nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import engine_for, session_factory
from epicontrol.movements import uploads
from epicontrol.movements.models import Movement, ScanUpload
from epicontrol.movements.uploads_arrow import MEDIA_TYPE
from tests.checkpoint_fixtures import Checkpoint
from tests.factories import TEST_SECRET


def _body(
    codes: list[str],
    *,
    uuids: list[bytes] | None = None,
    temperatures: list[float | None] | None = None,
    minutes_ago: list[float] | None = None,
) -> bytes:
    now = datetime.now(UTC)
    ago = minutes_ago or [float(i + 1) for i in range(len(codes))]
    table = pa.table(
        {
            "uuid": pa.array(uuids or [uuid4().bytes for _ in codes], pa.binary(16)),
            "code": pa.array(codes, pa.string()),
            "occurred_at": pa.array(
                [now - timedelta(minutes=m) for m in ago], pa.timestamp("us", tz="UTC")
            ),
            "temperature": pa.array(temperatures or [36.6] * len(codes), pa.float64()),
        }
    )
    return _stream(table)


def _stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _post(client: TestClient, checkpoint: Checkpoint, body: bytes):  # type: ignore[no-untyped-def]
    headers = {**checkpoint.headers, "Content-Type": MEDIA_TYPE}
    return client.post("/api/scans/upload", content=body, headers=headers)


def _count(db: Session, table: type[Movement] | type[ScanUpload]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(table)) or 0


def _move(db_url: str) -> None:
    uploads.move_pending(session_factory(engine_for(db_url)), secret=TEST_SECRET)


def test_arrow_upload_is_acknowledged_and_moved_once_even_when_resent(
    client: TestClient, checkpoint: Checkpoint, db: Session, db_url: str
) -> None:
    codes = [checkpoint.payloads["resident_wang"], checkpoint.payloads["resident_zhang"]] * 10
    body = _body(codes, minutes_ago=[float(i + 1) for i in range(len(codes))])
    for _ in range(2):  # a retry of the same upload
        answer = _post(client, checkpoint, body)
        assert answer.status_code == 202, answer.text
        assert answer.json()["accepted"] == len(codes)
    _move(db_url)
    assert (_count(db, ScanUpload), _count(db, Movement)) == (0, len(codes))
    temperatures = [float(t) for t in db.scalars(select(Movement.temperature))]
    assert temperatures == pytest.approx([36.6] * len(codes))


def _refused(client: TestClient, checkpoint: Checkpoint, db: Session, body: bytes) -> str:
    answer = _post(client, checkpoint, body)
    assert answer.status_code == 422, answer.text
    assert (_count(db, ScanUpload), _count(db, Movement)) == (0, 0)
    return str(answer.json()["detail"])


def test_bad_temperature_names_its_row(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    code = checkpoint.payloads["resident_wang"]
    body = _body([code] * 4, temperatures=[36.5, 36.6, 52.0, None])
    assert "scan 2: temperature" in _refused(client, checkpoint, db, body)


def test_duplicate_uuid_and_forged_pass_are_refused(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    code = checkpoint.payloads["resident_wang"]
    same = uuid4().bytes
    duplicate = _body([code] * 3, uuids=[uuid4().bytes, same, same])
    assert "scan 2: uuid repeated" in _refused(client, checkpoint, db, duplicate)
    forged = _body([code, "EC1.NOTAREALPASSID.123.abc", code])
    assert "scan 1: not a genuine pass" in _refused(client, checkpoint, db, forged)


def test_wrong_column_type_and_not_arrow_are_refused(
    client: TestClient, checkpoint: Checkpoint, db: Session
) -> None:
    table = pa.table(
        {
            "uuid": pa.array([str(uuid4())]),
            "code": pa.array([checkpoint.payloads["resident_wang"]]),
            "occurred_at": pa.array(["2026-01-01T00:00:00Z"]),  # a string, not a timestamp
        }
    )
    assert "occurred_at has the wrong type" in _refused(client, checkpoint, db, _stream(table))
    assert "not an Arrow IPC stream" in _refused(client, checkpoint, db, b'{"scans": []}')


def test_text_uuids_nanosecond_times_and_directions_are_accepted(
    client: TestClient, checkpoint: Checkpoint, db: Session, db_url: str
) -> None:
    now = datetime.now(UTC)
    uuids = [str(uuid4()).upper(), str(uuid4())]
    table = pa.table(
        {
            "uuid": pa.array(uuids),
            "code": pa.array([checkpoint.payloads["resident_zhang"]] * 2),
            "occurred_at": pa.array(
                [now - timedelta(minutes=9), now - timedelta(minutes=3)],
                pa.timestamp("ns", tz="Asia/Shanghai"),
            ),
            "direction": pa.array(["out", None]),
        }
    )
    answer = _post(client, checkpoint, _stream(table))
    assert answer.status_code == 202, answer.text
    _move(db_url)
    stored = db.scalars(select(Movement).order_by(Movement.occurred_at)).all()
    assert [m.client_uuid for m in stored] == [u.lower() for u in uuids]
    assert stored[0].direction == "out"

"""Retention and report photos: when the purge anonymises an old report its photo file goes
too (after the commit, market/reports.delete_unreferenced_photos), a recent report keeps its
photo, and a file left behind by a crash between commit and deletion goes on the next run."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core import retention
from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.market.models import MarketReport
from epicontrol.market.reports import photo_dir
from tests.factories import City, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _report_with_photo(client: TestClient, city: City, headers: dict[str, str]) -> None:
    sent = client.post(
        "/public/market/report",
        data={
            "kind": "price",
            "seller_name": "好又多大药房",
            "seller_kind": "pharmacy",
            "division_id": str(city.divisions["m1"]),
            "product": "kn95",
            "pack_size": "5",
            "price_yuan": "60",
        },
        files={"photo": ("tag.png", PNG, "image/png")},
        headers=headers,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text


def _age(db: Session, settings: Settings, report: MarketReport, days: int) -> Path:
    """Date the report (and its photo file, written when it was made) `days` back."""
    then = utcnow() - timedelta(days=days)
    report.created_at = then
    db.commit()
    path = photo_dir(settings.data_dir) / str(report.photo_file)
    os.utime(path, (then.timestamp(), then.timestamp()))
    return path


def _purge(db: Session, settings: Settings) -> dict[str, int]:
    done = retention.purge(db, settings=settings, now=utcnow(), actor="test", purpose="test")
    return {r.table: r.rows for r in done if r.rows}


def _files_in_last_purge_entry(db: Session) -> int | None:
    """The photo files the newest purge's audit entry counts for market_reports."""
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "purge").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    detail = json.loads(entry.detail or "{}")
    files: int | None = detail.get("market_reports", {}).get("files")
    return files


def test_anonymising_an_old_report_deletes_its_photo_and_a_recent_one_keeps_it(
    client: TestClient, city: City, db: Session, settings: Settings
) -> None:
    wang, inspector = login(client, "resident_wang"), login(client, "inspector")
    _report_with_photo(client, city, wang)
    _report_with_photo(client, city, wang)
    old, recent = db.scalars(select(MarketReport).order_by(MarketReport.id)).all()
    window = settings.retention_market_report_days
    old_file = _age(db, settings, old, window + 1)
    recent_file = _age(db, settings, recent, window - 1)

    assert _purge(db, settings) == {"market_reports": 1}
    assert _files_in_last_purge_entry(db) == 1

    db.expire_all()
    assert (old.reporter_user_id, old.photo_file, old.photo_type) == (None, None, None)
    assert not old_file.exists()
    assert recent.photo_file is not None and recent_file.read_bytes() == PNG
    assert client.get(f"/public/market/reports/{old.id}/photo", headers=wang).status_code == 404
    assert client.get(f"/market/reports/{old.id}/photo", headers=inspector).status_code == 404
    assert client.get(f"/public/market/reports/{recent.id}/photo", headers=wang).content == PNG
    assert client.get(f"/market/reports/{recent.id}/photo", headers=inspector).content == PNG


def test_a_photo_left_by_a_crash_after_the_commit_goes_on_the_next_run(
    client: TestClient, city: City, db: Session, settings: Settings
) -> None:
    _report_with_photo(client, city, login(client, "resident_wang"))
    report = db.scalars(select(MarketReport)).one()
    left = _age(db, settings, report, 400)
    # The state a crash leaves between the purge's commit and the file deletion.
    db.execute(update(MarketReport).values(reporter_user_id=None, photo_file=None, photo_type=None))
    db.commit()
    folder = photo_dir(settings.data_dir)
    in_flight = folder / f"{'a' * 32}.jpeg"  # written by a report not yet committed
    in_flight.write_bytes(b"\xff\xd8\xff")
    foreign = folder / "README.txt"  # not a name photos get: never ours to delete
    foreign.write_text("kept")
    os.utime(foreign, (0, 0))

    assert _purge(db, settings) == {}  # nothing left to anonymise, yet the file goes
    assert _files_in_last_purge_entry(db) == 1

    assert not left.exists()
    assert in_flight.exists() and foreign.exists()

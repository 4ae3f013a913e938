"""The serving process purges every personal table on its own (core/retention.RetentionWorker,
started by the app's lifespan), in short chunks, and audits each run."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import Base
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.web.app import create_app
from tests.core.test_retention import _arrange
from tests.factories import City

REPORTS = Base.metadata.tables["daily_reports"]


def test_a_serving_app_purges_expired_rows_of_every_table_on_its_interval_and_audits_it(
    db: Session, city: City, settings: Settings
) -> None:
    ids = _arrange(db, city)  # one daily report and one tip past their windows, one of each not
    fast = settings.model_copy(update={"retention_purge_interval_seconds": 1})

    with TestClient(create_app(fast)) as client:
        worker = client.app.state.workers["retention_registry"]  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while worker.runs < 2 and time.monotonic() < deadline:  # at start, then after 1 s
            time.sleep(0.1)
        assert worker.runs >= 2, worker.last_error

    db.expire_all()
    assert set(db.scalars(select(REPORTS.c.id))) == {ids["new_report"]}
    tip = Base.metadata.tables["tips"]
    assert db.scalar(select(tip.c.reporter_resident_id).where(tip.c.id == ids["old_tip"])) is None
    scheduled = AuditEntry.purpose == "retention windows (scheduled)"
    entries = list(db.scalars(select(AuditEntry).where(scheduled).order_by(AuditEntry.id)))
    assert len(entries) >= 2 and all(e.actor == "retention-scheduler" for e in entries)
    assert '"daily_reports"' in entries[0].detail and '"tips"' in entries[0].detail
    assert entries[1].detail in ("", "{}")  # the second run found nothing left
    assert db.scalar(select(func.count()).select_from(REPORTS)) == 1

"""The demo opens its detected cases in the store: red statuses and queued tracing runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.db import engine_for, utcnow
from epicontrol.demo.store_cases import open_detected_cases
from epicontrol.health_code.models import RiskStatus
from epicontrol.tracing.models import TracingRun
from tests.factories import City


def test_detected_cases_are_opened_traced_and_red(
    db_url: str, db: Session, city: City, tmp_path: Path
) -> None:
    wang = city.residents["wang_father"]
    today = utcnow().date()
    cases_file = tmp_path / "cases.parquet"
    pq.write_table(
        pa.table(
            {
                "resident_id": [wang],
                "onset_date": [date.fromordinal(today.toordinal() - 3)],
                "report_date": [date.fromordinal(today.toordinal() - 1)],
                "status": ["confirmed"],
                "reported_at_place_id": [1],
            }
        ),
        cases_file,
    )
    assert open_detected_cases(engine_for(db_url), cases_file, now=utcnow()) == 1
    assert open_detected_cases(engine_for(db_url), tmp_path / "none.parquet", now=utcnow()) == 0
    db.expire_all()
    case = db.scalar(select(Case).where(Case.resident_id == wang))
    assert case is not None and case.status == "confirmed" and case.isolated_at is not None
    assert db.scalar(select(TracingRun.status).where(TracingRun.case_id == case.id)) == "queued"
    assert db.scalar(select(RiskStatus.colour).where(RiskStatus.resident_id == wang)) == "red"

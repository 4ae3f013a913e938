"""The demo's detected cases, opened in the store so that the running demo traces them.

The generator writes the cases it detected to `cases.parquet`; opening them through the cases
service (not a bulk insert) fires what a real report fires: risk statuses recomputed in the same
transaction, and a tracing run queued for the serving process's background worker.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine

from epicontrol.cases import service as cases
from epicontrol.cases.models import CaseStatus
from epicontrol.cases.schemas import CaseIn
from epicontrol.core.db import session_scope
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.people.models import Resident
from epicontrol.tracing import background

ACTOR = "demo"
# Detected cases are isolated in hospital at noon (China time) of the day they are reported.


def open_detected_cases(engine: Engine, cases_file: Path, *, now: datetime) -> int:
    """Open a case for every detected case of the demo city; returns how many were opened."""
    if not cases_file.exists():
        return 0
    rows = pq.read_table(cases_file).to_pylist()
    opened = 0
    with session_scope(engine) as db:
        for row in rows:
            resident = db.get(Resident, row["resident_id"])
            if resident is None:
                continue
            change = cases.open_case(
                db,
                actor=ACTOR,
                resident=resident,
                data=_case_in(row, now),
                now=now,
                purpose="demo city: detected case",
            )
            background.after_case_change(db, change, requested_by=ACTOR)
            opened += 1
    return opened


def _case_in(row: dict[str, object], now: datetime) -> CaseIn:
    report_date = row["report_date"]
    isolated = datetime.combine(report_date, time(12), tzinfo=LOCAL_TIME)  # type: ignore[arg-type]
    return CaseIn(
        resident_id=int(row["resident_id"]),  # type: ignore[call-overload]
        status=CaseStatus(str(row["status"])),
        onset_date=row["onset_date"],  # type: ignore[arg-type]
        report_date=report_date,  # type: ignore[arg-type]
        isolated_at=min(isolated, now),
    )

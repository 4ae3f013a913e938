"""Line-list import: CSV and xlsx through the register readers, residents found by keyed hash,
every bad row reported, and nothing stored when any row is bad."""

from __future__ import annotations

import io
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.tracing.models import TracingRun
from tests.factories import City, resident_id
from tests.tracing.store_scenario import bearer

URL = "/api/cases/import"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No tracing worker: these tests look at the queue of runs."""
    return settings.model_copy(update={"tracing_in_background": False})


def _post(
    client: TestClient, db: Session, name: str, data: bytes, user: str = "epidemiologist"
) -> httpx.Response:
    files = {"file": (name, data, "application/octet-stream")}
    return client.post(URL, files=files, headers=bearer(db, user))


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Case)) or 0


def test_a_csv_line_list_opens_a_case_per_row(client: TestClient, city: City, db: Session) -> None:
    ids = city.id_numbers
    text = (
        "身份证号,状态,发病日期,采样日期,报告日期,病例编号\n"
        f"{ids['wang_father']},确诊,2026-02-10,2026-02-11,2026-02-12,LL-001\n"
        f"{ids['neighbour'].lower()},suspected,2026/2/11,,2026-02-12,\n"
    )
    response = _post(client, db, "line_list.csv", text.encode())
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["committed"], report["rows_total"], report["errors"]) == (True, 2, [])
    db.expire_all()
    cases = db.scalars(select(Case).order_by(Case.id)).all()
    assert [(c.resident_id, c.status, c.case_number) for c in cases] == [
        (city.residents["wang_father"], "confirmed", "LL-001"),
        (city.residents["neighbour"], "suspected", cases[1].case_number),
    ]
    assert [c.id for c in cases] == report["case_ids"]
    assert str(cases[1].onset_date) == "2026-02-11"
    queued = db.scalars(select(TracingRun.case_id)).all()
    assert queued == [cases[0].id], "only the confirmed case is traced"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert entry is not None and entry.actor == "epidemiologist"


def test_one_bad_row_stores_nothing_and_every_error_is_listed(
    client: TestClient, city: City, db: Session
) -> None:
    ids = city.id_numbers
    stranger = resident_id("110101", "19880101", 17)
    typo = ids["wang_mother"][:-1] + ("0" if ids["wang_mother"][-1] != "0" else "1")
    text = (
        "id_number,status,onset_date,sampling_date,report_date\n"
        f"{ids['wang_father']},confirmed,2026-02-10,,2026-02-12\n"  # row 2: good
        f"{typo},confirmed,2026-02-10,,2026-02-12\n"  # row 3
        f"{stranger},confirmed,2026-02-10,,2026-02-12\n"  # row 4
        f"{ids['neighbour']},confirmed,2026-02-13,,2026-02-12\n"  # row 5: onset after report
        f"{ids['wang_father']},suspected,2026-02-10,,2026-02-12\n"  # row 6: same person
        f"{ids['wang_child']},recovered,2026-02-10,,2026-02-12\n"  # row 7
        f"{ids['m2_resident']},asymptomatic,,,2026-02-12\n"  # row 8: no sampling date
        f"{ids['wang_mother']},suspected,10 Feb,,2026-02-12\n"  # row 9
    )
    response = _post(client, db, "line_list.csv", text.encode())
    assert response.status_code == 422
    report = response.json()
    assert report["committed"] is False and report["case_ids"] == []
    rows = {(e["row"], e["column"]) for e in report["errors"]}
    assert rows == {
        (3, "id_number"),
        (4, "id_number"),
        (5, "dates"),
        (6, "id_number"),
        (7, "status"),
        (8, "dates"),
        (9, "onset_date"),
    }
    messages = {e["row"]: e["message"] for e in report["errors"]}
    assert "check digit" in messages[3]
    assert messages[4] == "no resident has this ID number"
    assert "after the report_date" in messages[5]
    assert messages[6] == "the same person as row 2"
    assert stranger not in response.text, "the report names rows, not ID numbers"
    assert _count(db) == 0


def test_an_xlsx_line_list_with_date_cells_is_read(
    client: TestClient, city: City, db: Session
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "状态", "采样日期", "报告日期", "隔离时间"])
    sheet.append(
        [
            city.id_numbers["m2_resident"],
            "无症状感染者",
            datetime(2026, 2, 11),
            datetime(2026, 2, 12),
            "2026-02-12 09:30",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    response = _post(client, db, "line_list.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.text
    db.expire_all()
    case = db.scalar(select(Case))
    assert case is not None and case.status == "asymptomatic"
    assert str(case.sampling_date) == "2026-02-11"
    assert (
        case.isolated_at is not None and case.isolated_at.isoformat() == "2026-02-12T01:30:00+00:00"
    )


def test_rows_outside_the_scope_and_bad_files_are_refused(
    client: TestClient, city: City, db: Session
) -> None:
    text = f"id_number,status,onset_date\n{city.id_numbers['m3_resident']},suspected,2026-02-10\n"
    response = _post(client, db, "line_list.csv", text.encode())
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "the resident lives outside your scope"
    missing = _post(client, db, "line_list.csv", b"id_number,onset_date\n1,2026-02-10\n")
    assert missing.status_code == 422 and "missing required column(s): status" in missing.text
    assert _post(client, db, "line_list.pdf", b"%PDF").status_code == 422
    assert _post(client, db, "line_list.csv", text.encode(), user="commander").status_code == 403
    assert _count(db) == 0

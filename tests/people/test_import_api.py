"""The register upload API: a bad file is a 422 with row errors and changes nothing."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.people.models import Resident
from tests.factories import City, login, resident_id

HEADER = "id_number,name,phone,division_code\n"
GRID = "410102001001G01"


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Resident)) or 0


def _upload(
    client: TestClient, content: str, headers: dict[str, str], **params: str
) -> httpx.Response:
    files = {"file": ("register.csv", content.encode(), "text/csv")}
    return client.post("/api/imports/residents", files=files, headers=headers, params=params)


def test_upload_imports_a_valid_register(client: TestClient, city: City, db: Session) -> None:
    before = _count(db)
    rows = "".join(
        f"{resident_id('410102', '19900101', 100 + n)},居民{n},1390000{n:04d},{GRID}\n"
        for n in range(5)
    )
    response = _upload(client, HEADER + rows, login(client, "admin"))
    assert response.status_code == 200, response.text
    assert response.json()["rows_imported"] == 5
    assert _count(db) == before + 5
    again = _upload(client, HEADER + rows, login(client, "admin"))
    assert again.status_code == 409
    assert "already imported" in again.json()["detail"]
    assert _count(db) == before + 5


def test_upload_with_a_bad_row_is_a_422_and_stores_nothing(
    client: TestClient, city: City, db: Session
) -> None:
    good = resident_id("410102", "19900101", 201)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    content = HEADER + f"{good},好人,13900001234,{GRID}\n{bad},坏号,13900001235,{GRID}\n"
    before = _count(db)
    response = _upload(client, content, login(client, "admin"))
    assert response.status_code == 422
    body = response.json()
    assert body["committed"] is False and body["rows_rejected"] == 1
    assert body["errors"][0]["row"] == 3 and "check digit" in body["errors"][0]["message"]
    assert _count(db) == before


def test_upload_skip_invalid_keeps_the_valid_rows(
    client: TestClient, city: City, db: Session
) -> None:
    good = resident_id("410102", "19900101", 301)
    content = HEADER + f"{good},好人,13900001234,{GRID}\n123,坏号,13900001235,NO-GRID\n"
    before = _count(db)
    response = _upload(client, content, login(client, "admin"), skip_invalid="true")
    assert response.status_code == 200, response.text
    assert (response.json()["rows_imported"], response.json()["rows_rejected"]) == (1, 1)
    assert _count(db) == before + 1


def test_only_admins_may_upload(client: TestClient, city: City) -> None:
    response = _upload(client, HEADER, login(client, "officer_m1"))
    assert response.status_code == 403

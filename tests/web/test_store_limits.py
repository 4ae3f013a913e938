"""Values the store cannot hold are the caller's error (422 with a message), never a 500.

Found by fuzzing (test_schemathesis.py): an id or offset beyond 64 bits crashed SQLite's
driver (OverflowError) and one beyond 32 bits a PostgreSQL insert (integer out of range);
PostgreSQL text holds no NUL character. web/errors.py answers these 422, after the request's
session is rolled back, so nothing is stored.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.reports.models import Tip
from tests.factories import City, login

HUGE = 2**70  # beyond SQLite's 64-bit integers


def test_an_id_beyond_64_bits_in_the_path_is_a_422(client: TestClient, city: City) -> None:
    response = client.get(f"/api/cases/{HUGE}", headers=login(client, "admin"))
    assert response.status_code == 422, response.text
    assert "out of range" in response.json()["detail"]


def test_an_offset_beyond_64_bits_is_a_422(client: TestClient, city: City) -> None:
    response = client.get("/api/public/itineraries", params={"offset": HUGE})
    assert response.status_code == 422, response.text
    assert "out of range" in response.json()["detail"]


def test_nul_in_a_report_is_a_422_on_postgresql_and_stores_nothing(
    client: TestClient, city: City, db: Session, db_url: str
) -> None:
    response = client.post(
        "/api/public/tips",
        json={"kind": "gathering", "description": "有人聚集\u0000在小区门口"},
    )
    if db_url.startswith("sqlite"):  # SQLite text holds any character: stored as sent
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["detail"]
    assert db.scalar(select(func.count()).select_from(Tip)) == 0


def test_a_page_gets_the_422_as_a_page(client: TestClient, city: City) -> None:
    headers = {**login(client, "admin"), "accept": "text/html"}
    response = client.get(f"/workbench/cases/{HUGE}", headers=headers, follow_redirects=False)
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]


def test_a_day_whose_local_midnight_has_no_utc_instant_is_a_422(
    client: TestClient, city: City
) -> None:
    """0001-01-01 00:00 in China is in year 0 in UTC, which no datetime holds."""
    response = client.get(
        "/api/consultations", params={"day": "0001-01-01"}, headers=login(client, "admin")
    )
    assert response.status_code == 422, response.text
    assert "date in the request is out of range" in response.json()["detail"]

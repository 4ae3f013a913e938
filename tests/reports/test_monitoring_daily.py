"""Daily reports by residents under observation: about themself only, one a day (a second
replaces the first), bad input refused with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.reports.monitoring_models import DailyReport
from tests.factories import City
from tests.tasks.monitoring_fixtures import login, observe

URL = "/api/monitoring/daily-reports"
GOOD = {"temperature": 36.7, "symptoms": [], "is_at_home": True}


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(DailyReport)) or 0


@pytest.fixture
def observed(db: Session, city: City) -> City:
    """resident_wang (wang_father) under observation since yesterday; resident_zhang not."""
    observe(db, city, "wang_father", since=datetime.now(UTC) - timedelta(days=1))
    db.commit()
    return city


def test_resident_reports_and_a_second_report_that_day_replaces_the_first(
    client: TestClient, db: Session, observed: City
) -> None:
    headers = login(client, "resident_wang")

    first = client.post(URL, json=GOOD, headers=headers)
    assert first.status_code == 201, first.text
    second = client.post(
        URL,
        json={"temperature": 37.8, "symptoms": ["cough", "fever"], "is_at_home": False},
        headers=headers,
    )
    assert second.status_code == 201, second.text

    assert _count(db) == 1
    [stored] = db.scalars(select(DailyReport))
    assert stored.resident_id == observed.residents["wang_father"]
    assert (stored.temperature, stored.symptoms, stored.is_at_home) == (37.8, "cough,fever", False)
    assert stored.is_symptomatic and stored.submissions == 2
    mine = client.get("/api/monitoring/me", headers=headers).json()
    assert mine["state"] == "symptomatic" and mine["is_report_due"] is False
    assert mine["reports"][0]["symptoms"] == ["cough", "fever"]


BAD_BODIES: list[dict[str, Any]] = [
    {**GOOD, "temperature": 45.5},  # not a living person
    {**GOOD, "temperature": 29.0},
    {**GOOD, "temperature": "hot"},
    {**GOOD, "symptoms": ["sneezing_fits"]},  # not on the list
    {"temperature": 36.5, "symptoms": []},  # at home: required
    {**GOOD, "resident_id": 5},  # a report is always about the caller
    {**GOOD, "note": "x" * 401},
]


def test_bad_input_is_refused_and_nothing_is_stored(
    client: TestClient, db: Session, observed: City
) -> None:
    headers = login(client, "resident_wang")
    for body in BAD_BODIES:
        response = client.post(URL, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"]
    assert _count(db) == 0


def test_only_residents_under_observation_report(
    client: TestClient, db: Session, observed: City
) -> None:
    not_observed = client.post(URL, json=GOOD, headers=login(client, "resident_zhang"))
    assert not_observed.status_code == 409
    assert "not under daily observation" in not_observed.json()["detail"]
    assert client.post(URL, json=GOOD, headers=login(client, "officer_m1")).status_code == 403
    assert client.post(URL, json=GOOD).status_code == 401
    assert _count(db) == 0


def test_report_form_page(client: TestClient, db: Session, observed: City) -> None:
    headers = login(client, "resident_wang")
    page = client.get("/daily-report", headers=headers)
    assert page.status_code == 200 and 'name="temperature"' in page.text

    bad = client.post(
        "/daily-report",
        data={"temperature": "52", "is_at_home": "true"},
        headers={**headers, "accept": "text/html"},
    )
    assert bad.status_code == 422 and "not saved" in bad.text
    assert _count(db) == 0
    good = client.post(
        "/daily-report",
        data={"temperature": "36.4", "is_at_home": "true", "symptoms": ["fatigue"]},
        headers=headers,
        follow_redirects=False,
    )
    assert good.status_code == 303 and good.headers["location"] == "/daily-report?saved=1"
    [stored] = db.scalars(select(DailyReport))
    assert stored.symptoms == "fatigue" and stored.is_symptomatic

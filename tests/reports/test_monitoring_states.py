"""Monitoring states per person (Sara Alert's line lists), the officer's list, closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.models import AuditEntry
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division
from epicontrol.reports.monitoring_models import MonitoringState, Observation
from epicontrol.reports.monitoring_states import overview, people_in
from tests.factories import City
from tests.tasks.monitoring_fixtures import NOW, login, observe, report

HOUR = timedelta(hours=1)


def _states(db: Session, city: City) -> dict[str, MonitoringState]:
    division = db.get_one(Division, city.divisions["city"])
    by_id = {p.resident_id: p.state for p in people_in(db, division=division, now=NOW)}
    return {short: by_id[rid] for short, rid in city.residents.items() if rid in by_id}


def test_each_state_from_fixture_data(db: Session, city: City) -> None:
    start = NOW - timedelta(days=3)
    # Fever today: symptomatic.
    observe(db, city, "wang_father", since=start)
    report(db, city, "wang_father", at=NOW - 2 * HOUR, temperature=37.5)
    # A symptom without fever, two days ago and silent since: symptomatic outranks not reporting.
    observe(db, city, "wang_mother", since=start)
    report(db, city, "wang_mother", at=NOW - 48 * HOUR, symptoms="cough")
    # Last report 25 hours ago, no symptoms: not reporting.
    observe(db, city, "wang_child", since=start)
    report(db, city, "wang_child", at=NOW - 25 * HOUR)
    # Reported exactly 24 hours ago: still within the threshold.
    observe(db, city, "neighbour", since=start)
    report(db, city, "neighbour", at=NOW - 24 * HOUR)
    # Under observation for 3 hours and no report yet: reporting (first report not due).
    observe(db, city, "m2_resident", since=NOW - 3 * HOUR, grid="g3")
    # Closed by an officer, though the period runs on.
    closed = observe(db, city, "m3_resident", since=start, grid="g4")
    closed.closed_at, closed.close_reason = NOW - HOUR, "moved to central quarantine"
    db.commit()

    assert _states(db, city) == {
        "wang_father": MonitoringState.SYMPTOMATIC,
        "wang_mother": MonitoringState.SYMPTOMATIC,
        "wang_child": MonitoringState.NOT_REPORTING,
        "neighbour": MonitoringState.REPORTING,
        "m2_resident": MonitoringState.REPORTING,
        "m3_resident": MonitoringState.CLOSED,
    }


def test_never_reported_after_24_hours_is_not_reporting_and_an_ended_period_is_closed(
    db: Session, city: City
) -> None:
    observe(db, city, "wang_father", since=NOW - 30 * HOUR)
    observe(db, city, "neighbour", since=NOW - timedelta(days=16), days=14)  # ended yesterday
    report(db, city, "neighbour", at=NOW - timedelta(days=2), temperature=38.2)
    db.commit()

    assert _states(db, city) == {
        "wang_father": MonitoringState.NOT_REPORTING,
        "neighbour": MonitoringState.CLOSED,
    }


def test_a_report_from_an_earlier_episode_does_not_count(db: Session, city: City) -> None:
    old = observe(db, city, "wang_father", since=NOW - timedelta(days=30), days=14)
    report(db, city, "wang_father", at=NOW - timedelta(days=20), temperature=38.5)
    observe(db, city, "wang_father", since=NOW - 2 * HOUR)
    db.commit()
    assert old.ends_on < NOW.date()

    assert _states(db, city) == {"wang_father": MonitoringState.REPORTING}


def test_overview_counts_and_masks_names_for_roles_without_identity(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    observe(db, city, "wang_father", since=NOW - 30 * HOUR)
    observe(db, city, "neighbour", since=NOW - 2 * HOUR)
    db.commit()
    g1 = db.get_one(Division, city.divisions["g1"])
    worker = Principal(1, "gridworker_g1", Role.GRID_WORKER, g1.id, g1.path)
    officer = Principal(2, "officer_m1", Role.COMMUNITY_OFFICER, g1.id, g1.path)

    masked = overview(db, principal=worker, division=g1, now=NOW, vault=vault)
    named = overview(
        db, principal=officer, division=g1, now=NOW, vault=vault, state=MonitoringState.REPORTING
    )

    assert masked.counts == {
        MonitoringState.SYMPTOMATIC: 0,
        MonitoringState.NOT_REPORTING: 1,
        MonitoringState.REPORTING: 1,
        MonitoringState.CLOSED: 0,
    }
    assert [p.state for p in masked.people] == [
        MonitoringState.NOT_REPORTING,
        MonitoringState.REPORTING,
    ]
    assert city.names["wang_father"] not in {p.name for p in masked.people}
    assert "*" in masked.people[0].name
    assert [p.name for p in named.people] == [city.names["neighbour"]]


def _recent(db: Session, city: City, resident: str, hours: float, grid: str = "g1") -> None:
    observe(db, city, resident, since=datetime.now(UTC) - timedelta(hours=hours), grid=grid)


def test_officer_page_and_api_are_scoped_to_their_division(
    client: TestClient, db: Session, city: City
) -> None:
    _recent(db, city, "wang_father", 30)
    _recent(db, city, "m3_resident", 30, grid="g4")
    db.commit()
    m1, m3 = city.divisions["m1"], city.divisions["m3"]
    officer = login(client, "officer_m1")

    listed = client.get("/api/monitoring/people", headers=officer)
    assert listed.status_code == 200, listed.text
    assert [p["resident_id"] for p in listed.json()["people"]] == [city.residents["wang_father"]]
    assert listed.json()["counts"]["not_reporting"] == 1
    assert (
        client.get(f"/api/monitoring/people?division_id={m3}", headers=officer).status_code == 403
    )
    other = client.get(
        f"/api/monitoring/people?division_id={m3}", headers=login(client, "officer_m3")
    )
    assert [p["resident_id"] for p in other.json()["people"]] == [city.residents["m3_resident"]]
    page = client.get(f"/monitoring?division_id={m1}&state=not_reporting", headers=officer)
    assert page.status_code == 200
    assert 'data-state="not_reporting" data-count="1"' in page.text
    assert city.names["wang_father"] in page.text  # community officers may read identity
    worker_page = client.get("/monitoring", headers=login(client, "gridworker_g1"))
    assert worker_page.status_code == 200 and city.names["wang_father"] not in worker_page.text
    resident = login(client, "resident_wang")
    assert client.get("/api/monitoring/people", headers=resident).status_code == 403


def test_officer_closes_an_observation_with_a_reason_audited(
    client: TestClient, db: Session, city: City
) -> None:
    _recent(db, city, "wang_father", 5)
    db.commit()
    rid = city.residents["wang_father"]
    url = f"/api/monitoring/people/{rid}/close"

    assert (
        client.post(url, json={"reason": "x"}, headers=login(client, "officer_m1")).status_code
        == 422
    )
    assert (
        client.post(
            url, json={"reason": "tested negative twice"}, headers=login(client, "gridworker_g1")
        ).status_code
        == 403
    )
    assert (
        client.post(
            url, json={"reason": "tested negative twice"}, headers=login(client, "officer_m3")
        ).status_code
        == 403
    )
    closed = client.post(
        url, json={"reason": "tested negative twice"}, headers=login(client, "officer_m1")
    )
    assert closed.status_code == 200, closed.text
    again = client.post(
        url, json={"reason": "tested negative twice"}, headers=login(client, "officer_m1")
    )
    assert again.status_code == 409

    db.expire_all()
    [observation] = db.scalars(select(Observation))
    assert (observation.closed_by, observation.close_reason) == (
        "officer_m1",
        "tested negative twice",
    )
    listed = client.get("/api/monitoring/people?state=closed", headers=login(client, "officer_m1"))
    assert listed.json()["people"][0]["state"] == "closed"
    assert listed.json()["people"][0]["close_reason"] == "tested negative twice"
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "observation", AuditEntry.action == "close")
    ).one()
    assert entry.actor == "officer_m1" and entry.entity_id == str(rid)

"""Housing-estate health registration: live household status, the estate summary, visits by
grid workers, scope, and pages; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from epicontrol.core.deps import load_principal
from epicontrol.core.models import AuditEntry, User
from epicontrol.divisions import estates
from epicontrol.divisions.estate_models import EstateRegistration
from epicontrol.people.models import Household, Resident
from epicontrol.reports.monitoring_models import Observation
from tests.estates.estate_fixtures import Estates, add_case, add_observation, make_estates
from tests.factories import City
from tests.tasks.monitoring_fixtures import login

VISIT = {"members_present": 3, "has_fever_or_symptoms": False, "has_arrival_from_outside": False}


@pytest.fixture
def made(db: Session, city: City) -> Estates:
    """The three test estates, committed."""
    built = make_estates(db, city)
    db.commit()
    return built


def _estate(client: TestClient, estate_id: int, user: str, query: str = "") -> dict[str, Any]:
    answer = client.get(f"/api/estates/{estate_id}{query}", headers=login(client, user))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _statuses(client: TestClient, estate_id: int, user: str) -> dict[int, str]:
    return {h["id"]: h["status"] for h in _estate(client, estate_id, user)["households"]}


def _registrations(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(EstateRegistration)) or 0


def test_household_status_is_derived_live_from_cases_and_observations(
    client: TestClient, db: Session, city: City, made: Estates
) -> None:
    h1, h2, east = city.households["h1"], city.households["h2"], made.ids["east"]
    case = add_case(db, city, "wang_child")
    add_observation(db, city, "wang_father")  # a case outranks an observation
    add_observation(db, city, "neighbour")
    add_case(db, city, "m2_resident", status="discarded")  # ruled out: not a case household
    db.commit()
    assert _statuses(client, east, "officer_m1") == {
        h1: "case",
        h2: "under_observation",
        made.g2_household: "normal",
    }
    assert _statuses(client, made.ids["west"], "commander") == {city.households["h3"]: "normal"}

    case.status = "recovered"  # no longer open: the household falls back to its observation
    db.commit()
    assert _statuses(client, east, "officer_m1")[h1] == "under_observation"

    for observation in db.scalars(select(Observation)):
        observation.closed_at = datetime.now(UTC)
    db.commit()
    assert set(_statuses(client, east, "officer_m1").values()) == {"normal"}


def test_an_observation_that_ended_yesterday_no_longer_counts(
    client: TestClient, db: Session, city: City, made: Estates
) -> None:
    add_observation(db, city, "neighbour", days_ago=15, days=14)  # last day was yesterday
    add_observation(db, city, "wang_mother", days_ago=14, days=14)  # last day is today
    db.commit()
    statuses = _statuses(client, made.ids["east"], "officer_m1")
    assert statuses[city.households["h2"]] == "normal"
    assert statuses[city.households["h1"]] == "under_observation"


def test_a_visit_becomes_the_households_current_one_and_the_summary_counts_it(
    client: TestClient, db: Session, city: City, made: Estates
) -> None:
    east, h1, h2 = made.ids["east"], city.households["h1"], city.households["h2"]
    worker = login(client, "gridworker_g1")
    old = EstateRegistration(
        household_id=h2,
        registered_by="gridworker_g1",
        registered_at=datetime.now(UTC) - timedelta(days=8),
        members_present=1,
        has_fever_or_symptoms=True,
        has_arrival_from_outside=False,
        note="",
    )
    db.add(old)
    db.commit()
    url = f"/api/estates/{east}/households/{h1}/registrations"
    first = client.post(url, json=VISIT, headers=worker)
    assert first.status_code == 201, first.text
    second = client.post(
        url,
        json={**VISIT, "members_present": 2, "has_fever_or_symptoms": True, "note": "父亲37.8"},
        headers=worker,
    )
    assert second.status_code == 201

    body = _estate(client, east, "gridworker_g1")
    summary = body["summary"]
    figures = {k: summary[k] for k in ("households", "registered", "registered_recently")}
    assert figures == {"households": 2, "registered": 2, "registered_recently": 1}
    assert (summary["normal"], summary["residents"], summary["fever_reported"]) == (2, 4, 2)
    assert summary["is_partial"] is True  # the g2 household of 东苑 is outside g1
    [wang] = [h for h in body["households"] if h["id"] == h1]
    assert wang["latest"]["id"] == second.json()["id"]
    assert wang["latest"]["note"] == "父亲37.8" and wang["is_registered_recently"] is True
    assert wang["latest"]["registered_by"] == "gridworker_g1"
    assert all("*" in name for name in wang["members"]) and len(wang["members"]) == 3
    # Unvisited for a week comes before visited recently, within the same status.
    assert [h["id"] for h in body["households"]] == [h2, h1]
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "estate_registration")
    ).all()
    assert actions == ["register", "register"]


def test_summary_matches_an_independent_count(
    client: TestClient, db: Session, city: City, made: Estates
) -> None:
    add_case(db, city, "wang_father")
    add_observation(db, city, "neighbour")
    db.commit()
    officer = login(client, "officer_m1")
    client.post(
        f"/api/estates/{made.ids['east']}/households/{city.households['h2']}/registrations",
        json={**VISIT, "has_arrival_from_outside": True},
        headers=officer,
    )
    summary = _estate(client, made.ids["east"], "officer_m1")["summary"]
    in_estate = select(Household.id).where(Household.estate_id == made.ids["east"])
    residents = db.scalar(
        select(func.count(Resident.id)).where(Resident.household_id.in_(in_estate))
    )
    households = db.scalar(select(func.count()).select_from(in_estate.subquery()))
    assert (summary["households"], summary["residents"]) == (households, residents) == (3, 4)
    assert (summary["cases"], summary["under_observation"], summary["normal"]) == (1, 1, 1)
    assert (summary["registered"], summary["arrivals_reported"]) == (1, 1)
    assert summary["is_partial"] is False


def test_registration_refuses_bad_input_and_other_grids(
    client: TestClient, db: Session, city: City, made: Estates
) -> None:
    east, west = made.ids["east"], made.ids["west"]
    worker = login(client, "gridworker_g1")
    h1, h3 = city.households["h1"], city.households["h3"]

    def post(estate: int, household: int, body: dict[str, Any], user: str = "") -> int:
        headers = login(client, user) if user else worker
        url = f"/api/estates/{estate}/households/{household}/registrations"
        return client.post(url, json=body, headers=headers).status_code

    assert post(east, h1, {**VISIT, "members_present": -1}) == 422
    assert post(east, h1, {**VISIT, "members_present": 31}) == 422
    assert post(east, h1, {**VISIT, "note": "x" * 401}) == 422
    assert post(east, h1, {**VISIT, "unknown": 1}) == 422
    assert post(east, h3, VISIT) == 404  # h3 lives in 西苑
    assert post(east, 999_999, VISIT) == 404
    assert post(999_999, h1, VISIT) == 404
    assert post(west, h3, VISIT) == 403  # 西苑 has no household in g1
    assert post(east, made.g2_household, VISIT) == 403  # in 东苑, but grid g2
    assert post(east, h1, VISIT, "commander") == 403  # reads estates, registers nothing
    assert post(east, h1, VISIT, "resident_wang") == 403
    assert _registrations(db) == 0
    denied = db.scalars(
        select(AuditEntry.entity).where(AuditEntry.outcome == "denied").order_by(AuditEntry.id)
    ).all()
    assert denied[:2] == ["housing_estate", "household"]


def test_each_caller_sees_the_estates_of_their_scope(
    client: TestClient, db: Session, city: City, made: Estates
) -> None:
    add_case(db, city, "m3_resident")
    add_case(db, city, "wang_child")
    add_case(db, city, "wang_father", status="suspected")
    db.commit()

    def names(user: str, query: str = "") -> list[str]:
        answer = client.get(f"/api/estates{query}", headers=login(client, user))
        assert answer.status_code == 200, answer.text
        return [e["name"] for e in answer.json()["estates"]]

    assert names("gridworker_g1") == ["东苑小区"]
    assert names("officer_m1") == ["东苑小区"]
    assert names("officer_m3") == ["南苑小区"]
    assert names("commander") == ["东苑小区", "南苑小区", "西苑小区"]
    assert names("commander", "?sort=cases") == ["东苑小区", "南苑小区", "西苑小区"]
    assert names("commander", "?name=西苑") == ["西苑小区"]
    assert names("commander", "?name=NANYUAN") == ["南苑小区"]
    assert names("commander", "?name=%25") == []  # a wildcard is matched as text
    listed = client.get("/api/estates?sort=cases", headers=login(client, "commander")).json()
    assert [(e["cases"], e["households"]) for e in listed["estates"]] == [(1, 3), (1, 1), (0, 1)]
    assert listed["total"] == 3
    assert client.get("/api/estates", headers=login(client, "resident_wang")).status_code == 403
    assert client.get("/api/estates", headers=login(client, "agency")).status_code == 403
    blocked = client.get(f"/api/estates/{made.ids['west']}", headers=login(client, "officer_m1"))
    assert blocked.status_code == 403
    assert client.get("/api/estates/999999", headers=login(client, "commander")).status_code == 404
    reads = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity == "housing_estate", AuditEntry.outcome == "allowed")
    )
    assert reads == 9  # one per list answered; refusals are audited as denied


def test_an_estate_page_costs_the_same_queries_for_many_households(
    db: Session, city: City, made: Estates
) -> None:
    user_id = db.scalars(select(User.id).where(User.username == "officer_m1")).one()
    principal = load_principal(db, user_id)
    assert principal is not None
    now = datetime.now(UTC)

    def statements() -> int:
        seen: list[str] = []
        engine = db.get_bind()

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            estates.read(db, principal=principal, estate_id=made.ids["east"], now=now)
            db.flush()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    for _ in range(40):
        home = Household(division_id=city.divisions["g1"], estate_id=made.ids["east"])
        db.add(home)
        db.flush()
        db.add(EstateRegistration(household_id=home.id, registered_by="x", **VISIT, note=""))
    add_case(db, city, "neighbour")
    db.commit()
    # Estate, households with status and latest visit, masked names, the audit entry.
    assert statements() == few == 4


def test_pages_list_estates_and_register_a_visit(
    client: TestClient, db: Session, city: City, made: Estates
) -> None:
    add_observation(db, city, "neighbour")
    db.commit()
    worker = login(client, "gridworker_g1")
    listing = client.get("/estates", headers=worker)
    assert listing.status_code == 200
    assert f'href="/estates/{made.ids["east"]}"' in listing.text and "西苑" not in listing.text
    assert 'href="/estates"' in client.get("/", headers=worker).text  # the menu link
    assert 'href="/estates"' not in client.get("/", headers=login(client, "resident_wang")).text

    h2 = city.households["h2"]
    page = client.get(f"/estates/{made.ids['east']}", headers=worker)
    assert page.status_code == 200 and 'name="viewport"' in page.text
    assert f'id="household-{h2}" data-household="{h2}" data-status="under_observation"' in (
        page.text
    )
    form = f"/estates/{made.ids['east']}/households/{h2}/register"
    assert f'action="{form}"' in page.text
    saved = client.post(
        form,
        data={"members_present": "1", "has_fever_or_symptoms": "yes", "note": "咳嗽 cough"},
        headers=worker,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    back = f"/estates/{made.ids['east']}?registered={h2}#household-{h2}"
    assert saved.headers["location"] == back
    after = client.get(saved.headers["location"], headers=worker).text
    assert 'id="sum-registered">1<' in after and 'id="sum-fever">1<' in after
    assert "just-registered" in after and "咳嗽 cough" in after
    bad = client.post(
        form,
        data={"members_present": "many"},
        headers={**worker, "accept": "text/html"},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "not saved" in bad.text
    assert _registrations(db) == 1
    officer_page = client.get(f"/estates/{made.ids['east']}", headers=login(client, "commander"))
    assert officer_page.status_code == 200 and "/register" not in officer_page.text

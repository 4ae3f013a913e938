"""The epidemiologist's workbench pages: line list, one case, who may open them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.schemas import CaseIn
from epicontrol.cases.service import create
from epicontrol.core.settings import Settings
from epicontrol.tracing import service
from epicontrol.tracing.models import TracingRun
from tests.factories import City
from tests.tracing.store_scenario import NOW, Scenario, bearer, build, principal

HTML = {"Accept": "text/html"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No tracing worker: the scenario is traced by hand, at its own `now`."""
    return settings.model_copy(update={"tracing_in_background": False})


@pytest.fixture
def traced(db: Session, city: City) -> Scenario:
    """The store scenario, traced."""
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    return scenario


def test_line_list_shows_status_onset_and_contact_counts(
    client: TestClient, db: Session, traced: Scenario
) -> None:
    page = client.get("/workbench/cases", headers={**HTML, **bearer(db, "epidemiologist")})
    assert page.status_code == 200
    html = page.text
    assert "病例一览 Case line list" in html
    assert "确诊 confirmed" in html and "2026-02-10" in html
    row = re.search(rf'<tr data-case="{traced.case_id}">.*?</tr>', html, re.S)
    assert row is not None
    assert 'data-close="3"' in row.group(0) and 'data-secondary="1"' in row.group(0)
    assert f'href="/workbench/cases/{traced.case_id}"' in row.group(0)


def test_case_page_shows_where_when_via_whom_and_follow_up(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    page = client.get(
        f"/workbench/cases/{traced.case_id}", headers={**HTML, **bearer(db, "epidemiologist")}
    )
    assert page.status_code == 200
    html = page.text
    for text in (
        "密切接触者 Close contacts",
        "次密切接触者 Secondary contacts",
        "测试超市",  # where: the supermarket
        "02-09 10:10–10:40",  # when, in China time
        "同住 household",
        "测试饭店",
        "张*",  # the neighbour, through whom m3_resident was exposed
        f"/api/cases/{traced.case_id}/contacts.csv",
        "重新追踪 Trace again",
    ):
        assert text in html, text
    # Observation ended long ago by the clock of this test run: every contact is closed.
    assert html.count('data-follow-up="closed"') == 4
    assert city.names["neighbour"] not in html, "names stay masked on the page"
    assert 'id="case-chain"' in html or 'id="case-chain-placeholder"' in html


def test_trace_again_queues_a_run_and_returns_to_the_case(
    client: TestClient, db: Session, traced: Scenario
) -> None:
    response = client.post(
        f"/workbench/cases/{traced.case_id}/trace",
        headers={**HTML, **bearer(db, "epidemiologist")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/workbench/cases/{traced.case_id}"
    db.expire_all()
    assert db.scalar(select(TracingRun.status).order_by(TracingRun.id.desc())) == "queued"


def test_who_may_open_the_workbench(
    client: TestClient, city: City, db: Session, traced: Scenario
) -> None:
    other = create(
        db,
        principal=principal(db, "admin"),
        data=CaseIn(resident_id=city.residents["m3_resident"], onset_date=NOW.date()),
        now=NOW,
    ).case
    db.commit()
    epidemiologist = {**HTML, **bearer(db, "epidemiologist")}
    outside = client.get(f"/workbench/cases/{other.id}", headers=epidemiologist)
    assert outside.status_code == 403  # district d2 is not theirs
    assert "outside your scope" in outside.text
    listed = client.get("/workbench/cases", headers=epidemiologist)
    assert other.case_number not in listed.text
    officer = client.get("/workbench/cases", headers={**HTML, **bearer(db, "officer_m1")})
    assert officer.status_code == 403
    commander = client.get(
        f"/workbench/cases/{traced.case_id}", headers={**HTML, **bearer(db, "commander")}
    )
    assert commander.status_code == 200
    assert "重新追踪 Trace again" not in commander.text  # may read, may not trace
    anonymous = client.get("/workbench/cases", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")

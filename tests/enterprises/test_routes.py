"""The resumption API and pages through the app: a company registers, uploads, applies; an
officer decides; the whitelist is public in Chinese and English; the dashboard shows it."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core import i18n
from epicontrol.enterprises.models import EnterpriseEmployee
from tests.enterprises.support import add_phase, company_in, credit_code, employee_csv
from tests.factories import City, login

TEMPLATES = Path(i18n.PACKAGE_DIR) / "enterprises" / "templates"


def _register_and_apply(client: TestClient, city: City, headers: dict[str, str]) -> int:
    body = company_in(city).model_dump(mode="json")
    assert client.post("/api/enterprises", json=body, headers=headers).status_code == 201
    csv = employee_csv(city, ["wang_father", "neighbour"])
    uploaded = client.post(
        "/api/enterprises/mine/employees",
        files={"file": ("staff.csv", csv, "text/csv")},
        headers=headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["check"]["green"] == 2
    applied = client.post("/api/enterprises/mine/application", headers=headers)
    assert applied.status_code == 201, applied.text
    return int(applied.json()["id"])


def test_company_to_whitelist_through_the_api(client: TestClient, db: Session, city: City) -> None:
    company = login(client, "enterprise_s1")
    application_id = _register_and_apply(client, city, company)
    phase_id = add_phase(db, city)
    officer = login(client, "commander")

    queue = client.get("/api/enterprises/applications?status=submitted", headers=officer)
    assert [a["id"] for a in queue.json()] == [application_id]
    seen = client.get(f"/api/enterprises/applications/{application_id}", headers=officer).json()
    assert seen["check"]["employees"] == 2 and seen["flagged"] == []
    assert [p["id"] for p in seen["phases"]] == [phase_id]

    decision = {"decision": "approve", "version": 1, "phase_id": phase_id}
    url = f"/api/enterprises/applications/{application_id}/decision"
    assert client.post(url, json=decision, headers=officer).status_code == 200
    again = client.post(url, json=decision, headers=officer)
    assert again.status_code == 409 and "someone else" in again.json()["detail"]

    listed = client.get("/api/public/resumption").json()
    assert listed == [
        {
            "company": "测试口罩厂1",
            "sector": "纺织 textiles",
            "category": "medical_supplies",
            "division": "测试m1",
            "phase": 1,
            "phase_notes": None,
            "approved_on": listed[0]["approved_on"],
        }
    ]
    mine = client.get("/api/enterprises/mine", headers=company).json()
    assert mine["application"]["status"] == "approved"

    dashboard = client.get("/api/dashboard", headers=officer).json()
    assert dashboard["resumption"]["approved_by_phase"] == [
        {"phase": 1, "approved": 1, "workforce": 120}
    ]
    assert dashboard["labour"] is None or "fill_rate" in dashboard["labour"]
    page = client.get("/dashboard", headers=officer).text
    assert 'id="chart-resumption"' in page and 'id="tile-workforce" data-total="120"' in page


def test_a_bad_csv_is_a_row_numbered_422_and_nothing_is_stored(
    client: TestClient, db: Session, city: City
) -> None:
    headers = login(client, "enterprise_s1")
    client.post("/api/enterprises", json=company_in(city).model_dump(mode="json"), headers=headers)
    bad = employee_csv(city, ["wang_father"], ["李四,110101199001011234,"])
    answer = client.post(
        "/api/enterprises/mine/employees",
        files={"file": ("staff.csv", bad, "text/csv")},
        headers=headers,
    )
    assert answer.status_code == 422
    assert "row 3: resident ID check digit is wrong" in answer.json()["detail"]
    assert db.scalar(select(func.count()).select_from(EnterpriseEmployee)) == 0


def test_duplicate_credit_code_is_409_and_roles_are_kept_apart(
    client: TestClient, db: Session, city: City
) -> None:
    from tests.enterprises.support import add_company_login

    first = login(client, "enterprise_s1")
    body = company_in(city).model_dump(mode="json")
    assert client.post("/api/enterprises", json=body, headers=first).status_code == 201
    other = login(client, add_company_login(db, city, "enterprise_two"))
    taken = client.post("/api/enterprises", json=body, headers=other)
    assert taken.status_code == 409 and "already registered" in taken.json()["detail"]
    bad = {**body, "credit_code": credit_code(2)[:17] + "I"}
    assert client.post("/api/enterprises", json=bad, headers=other).status_code == 422

    resident = login(client, "resident_wang")
    assert client.get("/api/enterprises/applications", headers=resident).status_code == 403
    assert client.post("/api/enterprises", json=body, headers=resident).status_code == 403
    assert client.get("/api/enterprises/applications", headers=first).status_code == 403


def test_pages_register_apply_decide_and_publish(
    client: TestClient, db: Session, city: City
) -> None:
    company = login(client, "enterprise_s1")
    form = company_in(city).model_dump(mode="json")
    form["category"] = "medical_supplies"
    refused = client.post(
        "/enterprise/register", data={**form, "credit_code": "123"}, headers=company
    )
    assert refused.status_code == 422 and "18 characters" in refused.text
    made = client.post("/enterprise/register", data=form, headers=company, follow_redirects=False)
    assert made.status_code == 303
    bad = client.post(
        "/enterprise/employees",
        files={"file": ("s.csv", b"name,id_number\nx,123\n", "text/csv")},
        headers=company,
    )
    assert bad.status_code == 422 and "row 2" in bad.text
    client.post(
        "/enterprise/employees",
        files={"file": ("s.csv", employee_csv(city, ["wang_father"]), "text/csv")},
        headers=company,
    )
    client.post("/enterprise/apply", headers=company)
    page = client.get("/enterprise", headers=company).text
    assert 'data-status="submitted"' in page and 'data-employees="1"' in page

    phase_id = add_phase(db, city)
    officer = login(client, "commander")
    queue = client.get("/enterprises/review", headers=officer).text
    assert "测试口罩厂1" in queue and 'hx-select="#queue"' in queue
    application_id = client.get("/api/enterprises/applications", headers=officer).json()[0]["id"]
    detail = client.get(f"/enterprises/review/{application_id}", headers=officer).text
    assert 'id="approve-form"' in detail
    no_phase = client.post(
        f"/enterprises/review/{application_id}/decision",
        data={"decision": "approve", "version": "1", "phase_id": ""},
        headers=officer,
    )
    assert no_phase.status_code == 422 and "choose the phase" in no_phase.text
    decided = client.post(
        f"/enterprises/review/{application_id}/decision",
        data={"decision": "approve", "version": "1", "phase_id": str(phase_id)},
        headers=officer,
        follow_redirects=False,
    )
    assert decided.status_code == 303
    stale = client.post(
        f"/enterprises/review/{application_id}/decision",
        data={"decision": "refuse", "version": "1", "reason": "x"},
        headers=officer,
    )
    assert stale.status_code == 409 and 'id="decision-error"' in stale.text

    zh = client.get("/public/resumption?lang=zh").text
    assert "复工复产企业白名单" in zh and "第1批" in zh and "测试口罩厂1" in zh
    en = client.get("/public/resumption?lang=en").text
    assert "Companies back at work" in en and "Phase 1" in en
    phases = client.get("/enterprises/phases", headers=officer).text
    assert f'id="phase-{phase_id}"' in phases
    assert 'href="/enterprise"' in client.get("/", headers=company).text


def test_every_public_resumption_string_has_its_chinese() -> None:
    keywords = {**DEFAULT_KEYWORDS, "_": None}
    with (TEMPLATES / "resumption_public.html").open("rb") as handle:
        found = {
            message
            for _line, message, _c, _x in extract(
                babel_extract,  # type: ignore[arg-type]
                handle,
                keywords=keywords,
                options={"extensions": "jinja2.ext.i18n"},
            )
        }
    assert "Companies back at work" in found
    missing = found - set(i18n.catalogue("zh"))
    assert not missing, missing


def test_dashboard_panel_shows_labour_fill_rate(
    client: TestClient, db: Session, city: City
) -> None:
    from datetime import date

    from epicontrol.core.models import User
    from epicontrol.labour.models import LabourNeed

    poster = db.scalar(select(User.id).where(User.username == "enterprise_s1"))
    assert poster is not None
    db.add(
        LabourNeed(
            division_id=city.divisions["m1"],
            employer_name="测试口罩厂1",
            title="口罩机操作工 mask machine operator",
            skills="machine_operation",
            positions=10,
            filled=4,
            shift="day",
            days="mon,tue,wed,thu,fri",
            start_date=date(2020, 2, 20),
            pay_yuan_per_day=200,
            posted_by=poster,
        )
    )
    db.commit()
    officer = login(client, "commander")
    labour = client.get("/api/dashboard", headers=officer).json()["labour"]
    assert (labour["positions"], labour["filled"], labour["fill_rate"]) == (10, 4, 0.4)
    page = client.get("/dashboard", headers=officer).text
    assert 'id="tile-labour" data-positions="10" data-filled="4"' in page
    assert "40%" in page and 'id="resumption-no-chart"' in page

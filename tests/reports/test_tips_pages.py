"""The public report form and the officers' triage queue pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.reports.models import Tip
from tests.factories import City, login

HTML = {"Accept": "text/html"}


def _form(client: TestClient) -> dict[str, str]:
    page = client.get("/report", headers=HTML)
    assert page.status_code == 200
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.text)
    assert key is not None
    return {"idempotency_key": key[1]}


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Tip)) or 0


def test_report_form_files_once_even_when_sent_twice(
    client: TestClient, db: Session, city: City
) -> None:
    form = {
        **_form(client),
        "kind": "gathering",
        "description": "3号楼天台每晚有十几人聚餐",
        "location_text": "3号楼",
        "division_id": str(city.divisions["g1"]),
        "contact_phone": "",
    }
    first = client.post("/report", data=form, headers=HTML)
    assert first.status_code == 200 and "Received" in first.text, first.text
    again = client.post("/report", data=form, headers=HTML)
    assert again.status_code == 200
    assert re.findall(r'data-tip="(\d+)"', first.text) == re.findall(
        r'data-tip="(\d+)"', again.text
    )
    assert _count(db) == 1
    fresh = {**form, **_form(client)}
    repeat = client.post("/report", data=fresh, headers=HTML)
    assert repeat.status_code == 409 and "already received" in repeat.text
    bad = client.post("/report", data={**fresh, "contact_phone": "999"}, headers=HTML)
    assert bad.status_code == 422 and "Nothing was saved" in bad.text
    assert _count(db) == 1


def test_report_form_over_the_limit_says_when_to_try_again(
    client: TestClient, db: Session, city: City
) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"tip_rate_limit_per_hour": 1}
    )
    base = {"kind": "other", "location_text": "", "division_id": ""}
    ok = client.post("/report", data={**base, "description": "第一份举报内容"}, headers=HTML)
    assert ok.status_code == 200
    limited = client.post("/report", data={**base, "description": "第二份举报内容"}, headers=HTML)
    assert limited.status_code == 429 and "at most 1 an hour" in limited.text
    assert int(limited.headers["retry-after"]) > 0
    assert _count(db) == 1


def test_officer_closes_a_report_from_the_queue(
    client: TestClient, db: Session, city: City
) -> None:
    body = {
        "kind": "price_gouging",
        "description": "药店84消毒液涨价五倍",
        "division_id": city.divisions["m1"],
    }
    tip_id = client.post("/api/public/tips", json=body).json()["id"]
    officer = {**HTML, **login(client, "officer_m1")}
    queue = client.get("/tips", headers=officer)
    assert queue.status_code == 200 and f'data-tip="{tip_id}"' in queue.text
    assert "药店84消毒液涨价五倍" in queue.text
    url = f"/tips/{tip_id}/triage"
    review = client.post(url, data={"status": "in_review", "back": "detail"}, headers=officer)
    assert review.status_code == 200 and "核查中 In review" in review.text  # the report again
    no_outcome = client.post(url, data={"status": "closed", "outcome": ""}, headers=officer)
    assert no_outcome.status_code == 422 and "outcome" in no_outcome.text
    move = {"status": "closed", "outcome": "referred", "note": "移交市场监管局"}
    done = client.post(url, data=move, headers=officer, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/tips"
    db.expire_all()
    tip = db.get(Tip, tip_id)
    assert tip is not None and tip.outcome == "referred"
    closed = client.get("/tips?status=closed", headers=officer)
    assert "已移交 Referred" in closed.text and "移交市场监管局" in closed.text
    detail = client.get(f"/tips/{tip_id}", headers=officer)
    assert detail.status_code == 200 and "Anonymous" in detail.text
    resident = client.get("/tips", headers={**HTML, **login(client, "resident_wang")})
    assert resident.status_code == 403
    outsider = client.get(f"/tips/{tip_id}", headers={**HTML, **login(client, "officer_m3")})
    assert outsider.status_code == 403

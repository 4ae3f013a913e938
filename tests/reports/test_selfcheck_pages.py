"""The self-check page: anyone gets advice without anything stored; a resident's check is
stored and shown again; bad answers show the form's errors and store nothing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.places.models import Place, PlaceKind
from epicontrol.reports.models import SelfCheck
from tests.factories import City, login

HTML = {"Accept": "text/html"}


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(SelfCheck)) or 0


def test_public_page_gives_advice_with_reasons_and_stores_nothing(
    client: TestClient, db: Session, city: City
) -> None:
    page = client.get("/self-check", headers=HTML)
    assert page.status_code == 200
    assert 'action="/self-check"' in page.text and "nothing you enter is stored" in page.text
    assert "测试m1" in page.text, "a member of the public may choose their area"
    form = {"temperature": "37.0", "symptoms": ["confusion", "cough"], "division_id": ""}
    answer = client.post("/self-check", data=form, headers=HTML)
    assert answer.status_code == 200, answer.text
    assert 'data-triage="emergency"' in answer.text and 'href="tel:120"' in answer.text
    assert "意识模糊 confusion" in answer.text
    assert "Nothing was stored" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    fragment = client.post(
        "/self-check", data={"temperature": "36.5"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'data-triage="home"' in fragment.text
    assert _count(db) == 0


def test_bad_answers_show_errors_and_store_nothing(
    client: TestClient, db: Session, city: City
) -> None:
    for form in ({"temperature": "50"}, {"symptoms": ["hiccups"]}, {"temperature": "abc"}):
        answer = client.post("/self-check", data=form, headers=HTML)
        assert answer.status_code == 422 and "nothing was saved" in answer.text, form
    headers = {**HTML, **login(client, "resident_wang")}
    answer = client.post("/self-check/mine", data={"temperature": "29"}, headers=headers)
    assert answer.status_code == 422 and "temperature" in answer.text
    future = {"travel_place": ["北京"], "travel_code": [""], "travel_on": ["2999-01-01"]}
    answer = client.post("/self-check/mine", data=future, headers=headers)
    assert answer.status_code == 422 and "in the future" in answer.text
    assert _count(db) == 0


def test_resident_check_is_stored_and_shown_with_the_clinic(
    client: TestClient, db: Session, city: City
) -> None:
    db.add(
        Place(
            code="FC-1",
            name="区人民医院发热门诊",
            kind=PlaceKind.FEVER_CLINIC.value,
            division_id=city.divisions["s1"],
        )
    )
    db.commit()
    headers = {**HTML, **login(client, "resident_wang")}
    page = client.get("/self-check", headers=headers)
    assert 'action="/self-check/mine"' in page.text and "saved to your health record" in page.text
    form = {"temperature": "38.4", "symptoms": ["cough"]}
    posted = client.post("/self-check/mine", data=form, headers=headers, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    match = re.fullmatch(r"/self-check\?check=(\d+)", posted.headers["location"])
    assert match is not None
    stored = db.get(SelfCheck, int(match[1]))
    assert stored is not None and stored.fever is True and stored.triage == "fever_clinic"
    shown = client.get(posted.headers["location"], headers=headers)
    assert 'data-triage="fever_clinic"' in shown.text and "区人民医院发热门诊" in shown.text
    assert "Saved" in shown.text and "yellow" in shown.text
    other = client.get(
        posted.headers["location"], headers={**HTML, **login(client, "resident_zhang")}
    )
    assert "区人民医院发热门诊" not in other.text, "one resident never sees another's check"


def test_officer_clears_a_fever_report_from_the_page(
    client: TestClient, db: Session, city: City
) -> None:
    wang = {**HTML, **login(client, "resident_wang")}
    client.post("/self-check/mine", data={"temperature": "38.0"}, headers=wang)
    [check_id] = db.scalars(select(SelfCheck.id)).all()
    grid = {**HTML, **login(client, "gridworker_g1")}
    seen = client.get("/fever-reports", headers=grid)
    assert seen.status_code == 200 and f'data-check="{check_id}"' in seen.text
    assert "/clear" not in seen.text, "grid workers see fever reports but do not clear them"
    url = f"/fever-reports/{check_id}/clear"
    assert client.post(url, data={"note": "ok"}, headers=grid).status_code == 403
    officer = {**HTML, **login(client, "officer_m1")}
    assert client.post(url, data={"note": " "}, headers=officer).status_code == 422
    done = client.post(url, data={"note": "核酸阴性"}, headers=officer, follow_redirects=False)
    assert done.status_code == 303
    db.expire_all()
    assert db.get(SelfCheck, check_id).cleared_by == "officer_m1"  # type: ignore[union-attr]
    assert f'data-check="{check_id}"' not in client.get("/fever-reports", headers=officer).text

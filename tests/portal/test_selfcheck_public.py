"""The public site's fever self-check: the reports service decides, the page words it in zh or
en, names the nearest fever clinic and links to a consultation booking; nothing is stored."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.reports import rules
from epicontrol.reports.models import SelfCheck
from epicontrol.reports.rules import Answers, Exposure, Symptom
from tests.factories import City
from tests.portal.test_clinics_setup import add_clinics

FORMS = (
    ({"temperature": "36.6"}, Answers(temperature=36.6)),
    ({"temperature": "38.4"}, Answers(temperature=38.4)),
    ({"symptoms": ["cough"]}, Answers(symptoms=frozenset({Symptom.COUGH}))),
    (
        {"symptoms": ["headache"], "exposures": ["case_contact"]},
        Answers(
            symptoms=frozenset({Symptom.HEADACHE}), exposures=frozenset({Exposure.CASE_CONTACT})
        ),
    ),
    ({"exposures": ["gathering"]}, Answers(exposures=frozenset({Exposure.GATHERING}))),
    ({"symptoms": ["chest_pain"]}, Answers(symptoms=frozenset({Symptom.CHEST_PAIN}))),
    ({"temperature": "41.8"}, Answers(temperature=41.8)),
)


def _triage(html: str) -> str:
    found = re.search(r'data-triage="([a-z_]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def test_page_gives_the_services_triage_and_stores_nothing(
    client: TestClient, db: Session, city: City
) -> None:
    for form, answers in FORMS:
        page = client.post("/public/self-check?lang=en", data=form)
        assert page.status_code == 200, page.text
        assert _triage(page.text) == rules.triage(answers).triage.value, form
    assert db.scalar(select(func.count()).select_from(SelfCheck)) == 0


def test_fever_names_the_nearest_clinic_and_offers_a_booking(
    client: TestClient, db: Session, city: City
) -> None:
    add_clinics(db, city)
    form = {
        "temperature": "38.4",
        "symptoms": ["cough"],
        "latitude": "34.752",
        "longitude": "113.570",
    }
    page = client.post("/public/self-check?lang=en", data=form)
    assert "Go to the nearest designated fever clinic." in page.text
    assert "A temperature of 38.4 °C is a fever (37.3 °C or more)." in page.text
    assert "You reported cough" in page.text
    assert "西区中心医院发热门诊" in page.text  # FC-WEST is nearest to that point
    assert 'href="/public/clinics?lat=34.752&amp;lon=113.57"' in page.text
    assert 'href="/public/consult?symptoms=38.4+%C2%B0C%2C+cough"' in page.text
    assert "no-store" in page.headers["cache-control"]
    page = client.post("/public/self-check?lang=zh", data=form)
    assert "请前往最近的指定发热门诊" in page.text and "体温 38.4 °C 属于发热" in page.text
    assert "预约免费在线问诊" in page.text and "咳嗽" in page.text
    # Advice to stay home still names the nearest clinic of the area picked and the booking.
    home = client.post(
        "/public/self-check?lang=en", data={"division_id": str(city.divisions["m3"])}
    )
    assert _triage(home.text) == "home" and "西区中心医院发热门诊" in home.text
    assert "Book a free online consultation" in home.text


def test_emergency_and_bad_answers(client: TestClient, db: Session, city: City) -> None:
    page = client.post("/public/self-check?lang=en", data={"symptoms": ["bluish_lips"]})
    assert "Call emergency services (120) now." in page.text
    assert "bluish lips or face" in page.text
    for form, words in (
        ({"temperature": "hot"}, "Temperature"),
        ({"temperature": "45.5"}, "Temperature"),
        ({"symptoms": ["hiccups"]}, "Symptoms"),
        ({"latitude": "34.7"}, "latitude"),
        ({"division_id": "99999"}, "does not exist"),
    ):
        response = client.post("/public/self-check?lang=en", data=form)
        assert response.status_code == 422, form
        assert words in response.text and 'role="alert"' in response.text
    form_page = client.get("/public/self-check?lang=zh")
    assert form_page.status_code == 200 and "发热自查" in form_page.text
    assert "嗅觉味觉减退" in form_page.text  # symptoms in the page's language

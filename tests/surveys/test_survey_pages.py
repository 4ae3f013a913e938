"""The survey pages in-process: the builder's refusals, who may open the list, the fill form
filled in again with one's answers."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.tasks.survey_models import Survey
from tests.factories import City, login
from tests.surveys.survey_fixtures import gate_survey, question_ids

HTML = {"Accept": "text/html"}


def test_the_builder_shows_what_is_wrong_and_stores_nothing(
    client: TestClient, db: Session, city: City
) -> None:
    officer = login(client, "officer_m1") | HTML
    form = {
        "title": "口罩 Masks",
        "respondent_kind": "grid_worker",
        "q1_prompt": "口罩需求 Masks needed",
        "q1_kind": "single_choice",
        "q1_options": "只有一个 only one\n",
        "grid_ids": str(city.divisions["g1"]),
    }
    refused = client.post("/surveys/new", data=form, headers=officer)
    assert refused.status_code == 422
    assert "问题 question 1" in refused.text and "2 or more options" in refused.text
    assert 'value="口罩需求 Masks needed"' in refused.text  # the form comes back filled in
    assert db.scalar(select(func.count()).select_from(Survey)) == 0
    form["q1_options"] = "不需要 none\n需要 needed"
    outside = client.post(
        "/surveys/new", data=form | {"grid_ids": str(city.divisions["g4"])}, headers=officer
    )
    assert outside.status_code == 403 and "outside your scope" in outside.text
    assert db.scalar(select(func.count()).select_from(Survey)) == 0
    made = client.post("/surveys/new", data=form, headers=officer, follow_redirects=False)
    assert made.status_code == 303
    page = client.get(made.headers["location"], headers=officer)
    assert page.status_code == 200 and "发送 Send" in page.text


def test_the_list_opens_for_respondents_and_officers_only(client: TestClient, city: City) -> None:
    officer = login(client, "officer_m1")
    survey = client.post(
        "/api/surveys", json=gate_survey(grid_ids=[city.divisions["g1"]]), headers=officer
    ).json()["id"]
    client.post(f"/api/surveys/{survey}/send", headers=officer)
    listed = client.get("/surveys", headers=officer | HTML)
    assert listed.status_code == 200 and f'data-survey="{survey}"' in listed.text
    assert "结束 Close" in listed.text
    worker = client.get("/surveys", headers=login(client, "gridworker_g1") | HTML)
    assert worker.status_code == 200 and "待填 to fill" in worker.text
    resident = client.get("/surveys", headers=login(client, "resident_wang") | HTML)
    assert resident.status_code == 200 and "暂无待填调查" in resident.text  # a grid-worker survey
    checkpoint = client.get("/surveys", headers=login(client, "checkpoint_m1") | HTML)
    assert checkpoint.status_code == 403
    home = client.get("/", headers=officer | HTML).text
    assert home.count('href="/surveys"') == 1


def test_the_fill_form_shows_ones_earlier_answers(client: TestClient, city: City) -> None:
    officer = login(client, "officer_m1")
    survey = client.post(
        "/api/surveys", json=gate_survey(grid_ids=[city.divisions["g1"]]), headers=officer
    ).json()["id"]
    client.post(f"/api/surveys/{survey}/send", headers=officer)
    worker = login(client, "gridworker_g1")
    ids = question_ids(client, worker, survey)
    answers = {ids[0]: False, ids[1]: 12, ids[2]: 1, ids[3]: [0, 2], ids[4]: "门卫两人 two guards"}
    client.post(f"/api/surveys/{survey}/responses", json={"answers": answers}, headers=worker)
    page = client.get(f"/surveys/{survey}/fill", headers=worker | HTML).text
    checked = re.findall(r'name="q(\d+)" value="(\w+)" checked', page)
    assert checked == [
        (str(ids[0]), "no"),
        (str(ids[2]), "1"),
        (str(ids[3]), "0"),
        (str(ids[3]), "2"),
    ]
    assert 'value="12"' in page and "门卫两人 two guards</textarea>" in page
    assert "submitting again replaces it" in page

"""Survey rules: answers checked per question kind, definitions checked, frozen once sent,
scope enforced, and resident surveys counted once per resident."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.tasks.survey_models import SurveyAnswer, SurveyResponse
from tests.factories import City, login
from tests.surveys.survey_fixtures import add_estate, gate_survey, question_ids

GOOD = {1: True, 2: 3, 3: 0, 4: [1], 5: "ok"}  # a valid answer to each gate_survey question
# (question position, bad value, words the refusal must contain)
BAD_ANSWERS = [
    (1, None, "question 1 '小区门岗是否有人值守 Is the gate staffed?': an answer is required"),
    (1, 1, "question 1 '小区门岗是否有人值守 Is the gate staffed?': answer true"),
    (1, "yes", "question 1"),
    (
        2,
        -1,
        "Households with members back from Hubei': -1 is outside 0 - 500",
    ),
    (2, 501, "501 is outside 0 - 500"),
    (
        2,
        "three",
        "question 2 '湖北返回人员户数 Households with members back from Hubei': answer with",
    ),
    (2, True, "question 2"),
    (3, 3, "question 3 '口罩需求 Masks needed': there is no option 3"),
    (3, "0", "question 3 '口罩需求 Masks needed': choose an option by its number"),
    (3, [0], "question 3"),
    (4, 1, "question 4 '急需物资 Supplies short': send a list of option numbers"),
    (4, [0, 0], "question 4 '急需物资 Supplies short': an option is chosen twice"),
    (4, [0, 7], "there is no option 7"),
    (5, "x" * 1001, "question 5 '其他情况 Anything else': at most 1000 characters"),
    (5, 12, "question 5 '其他情况 Anything else': answer with text"),
]


@pytest.fixture
def sent_survey(client: TestClient, city: City) -> int:
    """The gate survey sent by the m1 officer to grid g1."""
    officer = login(client, "officer_m1")
    created = client.post(
        "/api/surveys", json=gate_survey(grid_ids=[city.divisions["g1"]]), headers=officer
    )
    assert created.status_code == 201, created.text
    survey_id: int = created.json()["id"]
    assert client.post(f"/api/surveys/{survey_id}/send", headers=officer).status_code == 200
    return survey_id


def test_each_kind_of_answer_is_checked_and_a_refusal_stores_nothing(
    client: TestClient, db: Session, sent_survey: int
) -> None:
    worker = login(client, "gridworker_g1")
    ids = question_ids(client, worker, sent_survey)
    url = f"/api/surveys/{sent_survey}/responses"
    refusals = []
    for position, value, words in BAD_ANSWERS:
        answers: dict[str, Any] = {str(ids[p - 1]): v for p, v in GOOD.items()}
        answers[str(ids[position - 1])] = value
        response = client.post(url, json={"answers": answers}, headers=worker)
        if response.status_code != 422 or words not in response.json()["detail"]:
            refusals.append((position, value, response.status_code, response.text[:200]))
    assert refusals == []
    stranger = {str(ids[p - 1]): v for p, v in GOOD.items()} | {"999999": 1}
    unknown = client.post(url, json={"answers": stranger}, headers=worker)
    assert unknown.status_code == 422 and "999999" in unknown.json()["detail"]
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 0
    # Optional questions may be left out; a valid answer is stored.
    required_only = {str(ids[p - 1]): GOOD[p] for p in (1, 2, 3)}
    stored = client.post(url, json={"answers": required_only}, headers=worker)
    assert stored.status_code == 201, stored.text
    assert db.scalar(select(func.count()).select_from(SurveyAnswer)) == 3


BAD_QUESTIONS = [
    ({"kind": "single_choice", "prompt": "Q", "options": ["only one"]}, "2 or more options"),
    ({"kind": "multiple_choice", "prompt": "Q", "options": ["a", "a"]}, "options repeat"),
    ({"kind": "yes_no", "prompt": "Q", "options": ["a", "b"]}, "only choice questions"),
    ({"kind": "text", "prompt": "Q", "max_value": 3}, "only number questions"),
    ({"kind": "number", "prompt": "Q", "min_value": 5, "max_value": 1}, "minimum is above"),
    ({"kind": "date", "prompt": "Q"}, "kind"),
    ({"kind": "text", "prompt": ""}, "prompt"),
]


def test_a_badly_defined_question_is_refused(client: TestClient, db: Session, city: City) -> None:
    officer = login(client, "officer_m1")
    accepted = []
    for question, words in BAD_QUESTIONS:
        definition = gate_survey(grid_ids=[city.divisions["g1"]])
        definition["questions"] = [question]
        response = client.post("/api/surveys", json=definition, headers=officer)
        if response.status_code != 422 or words not in response.text:
            accepted.append((question, response.status_code, response.text[:200]))
    assert accepted == []
    assert client.get("/api/surveys", headers=officer).json() == []


def test_questions_are_frozen_once_sent_and_sending_needs_a_target(
    client: TestClient, city: City, sent_survey: int
) -> None:
    officer = login(client, "officer_m1")
    changed = gate_survey(grid_ids=[city.divisions["g1"]]) | {"title": "改 Changed"}
    refused = client.put(f"/api/surveys/{sent_survey}", json=changed, headers=officer)
    assert refused.status_code == 409 and "can no longer change" in refused.json()["detail"]
    assert (
        client.get(f"/api/surveys/{sent_survey}", headers=officer).json()["title"] != "改 Changed"
    )
    empty = client.post("/api/surveys", json=gate_survey(), headers=officer).json()["id"]
    assert client.post(f"/api/surveys/{empty}/send", headers=officer).status_code == 422
    edited = client.put(f"/api/surveys/{empty}", json=changed, headers=officer)
    assert edited.status_code == 200 and edited.json()["title"] == "改 Changed"
    assert [t["name"] for t in edited.json()["targets"]] == ["测试g1"]


def test_out_of_scope_is_refused_and_audited(
    client: TestClient, db: Session, city: City, sent_survey: int
) -> None:
    other = login(client, "officer_m3")
    outside = client.post(
        "/api/surveys", json=gate_survey(grid_ids=[city.divisions["g1"]]), headers=other
    )
    assert outside.status_code == 403 and "outside your scope" in outside.json()["detail"]
    not_a_grid = client.post(
        "/api/surveys", json=gate_survey(grid_ids=[city.divisions["m3"]]), headers=other
    )
    assert not_a_grid.status_code == 422
    assert client.get(f"/api/surveys/{sent_survey}/results", headers=other).status_code == 403
    assert client.post(f"/api/surveys/{sent_survey}/close", headers=other).status_code == 403
    assert client.get("/api/surveys", headers=other).json() == []
    # The epidemiologist of d1 reads results but defines nothing.
    reader = login(client, "epidemiologist")
    assert client.get(f"/api/surveys/{sent_survey}/results", headers=reader).status_code == 200
    assert client.post("/api/surveys", json=gate_survey(), headers=reader).status_code == 403
    # A drill-down outside the caller's subtree, and respondents of the wrong kind or place.
    officer = login(client, "officer_m1")
    drill = f"/api/surveys/{sent_survey}/results?division_id={city.divisions['m2']}"
    assert client.get(drill, headers=officer).status_code == 403
    resident = login(client, "resident_wang")
    answer = client.post(
        f"/api/surveys/{sent_survey}/responses", json={"answers": {}}, headers=resident
    )
    assert answer.status_code == 403
    m3_survey = client.post(
        "/api/surveys", json=gate_survey(grid_ids=[city.divisions["g4"]]), headers=other
    ).json()["id"]
    assert client.post(f"/api/surveys/{m3_survey}/send", headers=other).status_code == 200
    worker = login(client, "gridworker_g1")
    assert client.get(f"/api/surveys/{m3_survey}/fill", headers=worker).status_code == 403
    assert client.get("/api/surveys/to-fill", headers=worker).json()[0]["survey_id"] == sent_survey
    denied = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.outcome == "denied", AuditEntry.entity == "survey")
    )
    assert denied is not None and denied >= 4


def test_residents_answer_once_each_and_the_rate_counts_residents(
    client: TestClient, db: Session, city: City
) -> None:
    estate = add_estate(db, city, "m1", ["h2"])  # the neighbour's home, in grid g1 too
    officer = login(client, "officer_m1")
    definition = {
        "title": "居民物资调查 Residents' supplies",
        "respondent_kind": "resident",
        "questions": [
            {"kind": "yes_no", "prompt": "家中食品药品够7天吗 Food and medicine for 7 days?"},
            {"kind": "text", "prompt": "需要什么 What do you need?", "is_required": False},
        ],
        "grid_ids": [city.divisions["g1"]],
        "estate_ids": [estate],
    }
    survey_id = client.post("/api/surveys", json=definition, headers=officer).json()["id"]
    client.post(f"/api/surveys/{survey_id}/send", headers=officer)
    wang, zhang = login(client, "resident_wang"), login(client, "resident_zhang")
    assert len(client.get("/api/surveys/to-fill", headers=zhang).json()) == 1  # grid and estate
    ids = question_ids(client, wang, survey_id)
    url = f"/api/surveys/{survey_id}/responses"
    assert client.post(url, json={"answers": {ids[0]: True}}, headers=wang).status_code == 201
    no = {ids[0]: False, ids[1]: "退烧药 fever medicine"}
    assert client.post(url, json={"answers": no}, headers=zhang).status_code == 201
    again = client.post(url, json={"answers": no}, headers=zhang)
    assert again.status_code == 200 and again.json()["revision"] == 2
    worker = login(client, "gridworker_g1")
    assert client.post(url, json={"answers": no}, headers=worker).status_code == 403

    results = client.get(f"/api/surveys/{survey_id}/results", headers=officer).json()
    [g1] = [r for r in results["children"] if r["division_id"] == city.divisions["g1"]]
    assert (g1["responses"], g1["expected"], g1["response_rate"]) == (2, 4, 0.5)  # 4 live in g1
    assert [o["count"] for o in results["total"]["questions"][0]["options"]] == [1, 1]
    assert results["texts"] == {str(ids[1]): ["退烧药 fever medicine"]}
    body = client.get(f"/api/surveys/{survey_id}/results", headers=officer).text
    for personal in ("resident_zhang", str(city.residents["neighbour"]), city.names["neighbour"]):
        assert f'"{personal}"' not in body and city.names["neighbour"] not in body
    stored = db.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()
    assert [r.resident_id for r in stored] == [
        city.residents["wang_father"],
        city.residents["neighbour"],
    ]

"""Surveys sent to grids and estates, filled by grid workers, counted by division (issue 6)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core.models import AuditEntry
from epicontrol.tasks.survey_models import SurveyAnswer, SurveyResponse
from tests.factories import City, login
from tests.surveys.survey_fixtures import add_estate, add_grid_worker, gate_survey, question_ids


def _send(client: TestClient, headers: dict[str, str], definition: dict[str, Any]) -> int:
    created = client.post("/api/surveys", json=definition, headers=headers)
    assert created.status_code == 201, created.text
    survey_id: int = created.json()["id"]
    sent = client.post(f"/api/surveys/{survey_id}/send", headers=headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    return survey_id


def _answer(
    client: TestClient, headers: dict[str, str], survey_id: int, target_id: int | None, **by_q: Any
) -> Any:
    ids = question_ids(client, headers, survey_id)
    answers = {str(ids[int(key[1:]) - 1]): value for key, value in by_q.items()}
    return client.post(
        f"/api/surveys/{survey_id}/responses",
        json={"target_id": target_id, "answers": answers},
        headers=headers,
    )


def _targets(client: TestClient, headers: dict[str, str], survey_id: int) -> dict[str, int]:
    shown = client.get(f"/api/surveys/{survey_id}/fill", headers=headers).json()["targets"]
    return {t["name"]: t["id"] for t in shown}


def _row(results: dict[str, Any], division_id: int) -> dict[str, Any]:
    [row] = [r for r in results["children"] if r["division_id"] == division_id]
    return row


def _question(row: dict[str, Any], position: int) -> dict[str, Any]:
    result: dict[str, Any] = row["questions"][position - 1]
    return result


def test_grid_workers_of_two_grids_fill_and_results_add_up_by_division(
    client: TestClient, db: Session, city: City
) -> None:
    add_grid_worker(db, city, "g2")
    estate = add_estate(db, city, "m1", ["h1"])  # of the community, its homes in grid g1
    officer = login(client, "officer_m1")
    survey_id = _send(
        client, officer, gate_survey(grids_under=[city.divisions["m1"]], estate_ids=[estate])
    )
    g1, g2 = login(client, "gridworker_g1"), login(client, "gridworker_g2")
    g1_targets = _targets(client, g1, survey_id)
    assert sorted(g1_targets) == ["测试g1", "测试花园m1"]  # its grid, and the estate of its homes
    assert sorted(_targets(client, g2, survey_id)) == ["测试g2"]

    first = _answer(client, g1, survey_id, g1_targets["测试g1"], q1=True, q2=3, q3=2, q4=[0, 1])
    assert first.status_code == 201, first.text
    estate_answer = _answer(
        client,
        g1,
        survey_id,
        g1_targets["测试花园m1"],
        q1=False,
        q2=5.5,
        q3=1,
        q5="东门无人 East gate unstaffed",
    )
    assert estate_answer.status_code == 201, estate_answer.text
    assert _answer(client, g2, survey_id, None, q1=True, q2=0, q3=2, q4=[1]).status_code == 201
    # A second submit for the same target replaces the first: one response, revision 2.
    again = _answer(client, g1, survey_id, g1_targets["测试g1"], q1=True, q2=4, q3=0, q4=[2])
    assert again.status_code == 200 and again.json()["revision"] == 2
    listed = client.get("/api/surveys/to-fill", headers=g1).json()
    assert [(t["target_name"], t["is_answered"]) for t in listed] == [
        ("测试g1", True),
        ("测试花园m1", True),
    ]

    results = client.get(f"/api/surveys/{survey_id}/results", headers=officer).json()
    assert results["division_id"] == city.divisions["m1"]
    g1_row, g2_row = _row(results, city.divisions["g1"]), _row(results, city.divisions["g2"])
    itself = _row(results, city.divisions["m1"])  # the estate is counted at the community
    assert [(r["responses"], r["expected"]) for r in (g1_row, g2_row, itself)] == [
        (1, 1),
        (1, 1),
        (1, 1),
    ]
    assert [o["count"] for o in _question(g1_row, 1)["options"]] == [1, 0]
    assert [o["count"] for o in _question(itself, 1)["options"]] == [0, 1]
    assert [o["count"] for o in _question(g1_row, 3)["options"]] == [1, 0, 0]  # replaced
    assert [o["count"] for o in _question(g2_row, 4)["options"]] == [0, 1, 0]
    total = results["total"]
    assert (total["responses"], total["expected"], total["response_rate"]) == (3, 3, 1.0)
    assert [o["count"] for o in _question(total, 1)["options"]] == [2, 1]
    assert [o["label"] for o in _question(total, 1)["options"]] == ["是 yes", "否 no"]
    assert [o["count"] for o in _question(total, 3)["options"]] == [1, 1, 1]
    assert [o["count"] for o in _question(total, 4)["options"]] == [0, 1, 1]
    assert _question(total, 4)["answered"] == 2  # two respondents ticked options
    assert _question(total, 2)["number"] == {
        "count": 3,
        "sum": 9.5,
        "mean": pytest.approx(9.5 / 3),
        "min": 0.0,
        "max": 5.5,
    }
    assert _question(total, 5)["answered"] == 1
    assert results["texts"] == {
        str(question_ids(client, g1, survey_id)[4]): ["东门无人 East gate unstaffed"]
    }
    # The stored rows, counted independently of the service.
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 3
    chosen = db.scalar(
        select(func.count()).select_from(SurveyAnswer).where(SurveyAnswer.option_index.is_not(None))
    )
    assert chosen == 3 + 2 + 3  # g1 replaced: yes, one option, [2]; estate: no, one; g2: 3

    # The commander sees the city by district and drills down to the community.
    commander = login(client, "commander")
    city_view = client.get(f"/api/surveys/{survey_id}/results", headers=commander).json()
    d1, d2 = _row(city_view, city.divisions["d1"]), _row(city_view, city.divisions["d2"])
    assert (d1["responses"], d1["expected"], d1["response_rate"]) == (3, 3, 1.0)
    assert (d2["responses"], d2["expected"], d2["response_rate"]) == (0, 0, None)
    drill = client.get(
        f"/api/surveys/{survey_id}/results?division_id={city.divisions['m1']}", headers=commander
    ).json()
    assert [o["count"] for o in _question(drill["total"], 3)["options"]] == [1, 1, 1]
    assert (
        db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "survey_response", AuditEntry.action == "replace")
        )
        == 1
    )


def test_one_response_per_target_is_enforced_by_the_store(
    client: TestClient, db: Session, city: City
) -> None:
    survey_id = _send(
        client, login(client, "officer_m1"), gate_survey(grid_ids=[city.divisions["g1"]])
    )
    worker = login(client, "gridworker_g1")
    assert _answer(client, worker, survey_id, None, q1=True, q2=1, q3=0).status_code == 201
    stored = db.scalars(select(SurveyResponse)).one()
    db.add(
        SurveyResponse(
            survey_id=stored.survey_id,
            target_id=stored.target_id,
            respondent_key=stored.respondent_key,
            division_id=stored.division_id,
            submitted_by="someone else",
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_closed_and_draft_surveys_refuse_answers(
    client: TestClient, db: Session, city: City
) -> None:
    officer = login(client, "officer_m1")
    worker = login(client, "gridworker_g1")
    draft = client.post(
        "/api/surveys", json=gate_survey(grid_ids=[city.divisions["g1"]]), headers=officer
    ).json()["id"]
    url = f"/api/surveys/{draft}/responses"
    assert client.post(url, json={"answers": {}}, headers=worker).status_code == 409
    assert client.post(f"/api/surveys/{draft}/send", headers=officer).status_code == 200
    assert client.post(f"/api/surveys/{draft}/close", headers=officer).status_code == 200
    ids = [
        q["id"] for q in client.get(f"/api/surveys/{draft}", headers=officer).json()["questions"]
    ]
    answers = {str(ids[0]): True, str(ids[1]): 2, str(ids[2]): 0}
    refused = client.post(url, json={"answers": answers}, headers=worker)
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    assert client.post(f"/api/surveys/{draft}/close", headers=officer).status_code == 409
    assert client.get("/api/surveys/to-fill", headers=worker).json() == []
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    changes = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.entity == "survey", AuditEntry.entity_id == str(draft))
        .order_by(AuditEntry.id)
    ).all()
    assert changes == ["create", "send", "close"]

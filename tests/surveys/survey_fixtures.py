"""Builders for the survey tests: a second grid worker, an estate, a standard survey."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import HousingEstate
from epicontrol.people.models import Household
from tests.factories import PASSWORD_HASH, City


def add_grid_worker(db: Session, city: City, grid: str) -> str:
    """A grid worker login scoped to `grid` of the test city; returns the username."""
    username = f"gridworker_{grid}"
    db.add(
        User(
            username=username,
            display_name=username,
            password_hash=PASSWORD_HASH,
            role=Role.GRID_WORKER.value,
            division_id=city.divisions[grid],
        )
    )
    db.commit()
    city.users[username] = Role.GRID_WORKER
    return username


def add_estate(db: Session, city: City, division: str, households: list[str]) -> int:
    """A housing estate attached to `division` holding the given households; returns its id."""
    estate = HousingEstate(name=f"测试花园{division}", division_id=city.divisions[division])
    db.add(estate)
    db.flush()
    for short in households:
        household = db.get(Household, city.households[short])
        assert household is not None
        household.estate_id = estate.id
    db.commit()
    return estate.id


def gate_survey(**targets: list[int]) -> dict[str, Any]:
    """A Zhengzhou-style estate survey with one question of every kind."""
    return {
        "title": "小区防控情况 Estate prevention check",
        "description": "每个网格或小区填一份 One per grid or estate",
        "respondent_kind": "grid_worker",
        "questions": [
            {"kind": "yes_no", "prompt": "小区门岗是否有人值守 Is the gate staffed?"},
            {
                "kind": "number",
                "prompt": "湖北返回人员户数 Households with members back from Hubei",
                "min_value": 0,
                "max_value": 500,
            },
            {
                "kind": "single_choice",
                "prompt": "口罩需求 Masks needed",
                "options": ["不需要 none", "100只以下 under 100", "100只以上 100 or more"],
            },
            {
                "kind": "multiple_choice",
                "prompt": "急需物资 Supplies short",
                "options": ["食品 food", "药品 medicine", "消毒液 disinfectant"],
                "is_required": False,
            },
            {"kind": "text", "prompt": "其他情况 Anything else", "is_required": False},
        ],
        **targets,
    }


def question_ids(client: TestClient, headers: dict[str, str], survey_id: int) -> list[int]:
    """Ids of a survey's questions in order, as the fill API shows them to a respondent."""
    response = client.get(f"/api/surveys/{survey_id}/fill", headers=headers)
    assert response.status_code == 200, response.text
    return [q["id"] for q in response.json()["questions"]]

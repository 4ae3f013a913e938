"""Officers' decisions and the phase rules: approve only in an open phase that applies to the
company and admits its category, with no red employee and a measure for any yellow one."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput
from epicontrol.divisions.models import Division
from epicontrol.enterprises import companies, review, whitelist
from epicontrol.enterprises.figures import resumption_figures
from epicontrol.enterprises.models import Category
from epicontrol.enterprises.schemas import Decision, DecisionIn
from tests.enterprises.support import (
    add_phase,
    employee_csv,
    principal,
    registered_application,
    set_colour,
)
from tests.factories import City


def _ready(db: Session, city: City, vault: PersonalDataVault, staff: list[str]) -> int:
    application_id = registered_application(db, city)
    companies.upload_employees(
        db, principal=principal(db, "enterprise_s1"), data=employee_csv(city, staff), vault=vault
    )
    db.commit()
    return application_id


def _decide(db: Session, application_id: int, **values: object) -> object:
    data = DecisionIn.model_validate({"version": 1, **values})
    decided = review.decide(
        db, principal=principal(db, "commander"), application_id=application_id, data=data
    )
    db.commit()
    return decided


def test_approval_in_an_open_phase_publishes_the_company(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = _ready(db, city, vault, ["wang_father", "neighbour"])
    phase_id = add_phase(db, city, number=1)
    decided = _decide(db, application_id, decision=Decision.APPROVE, phase_id=phase_id)
    assert decided.status == "approved" and decided.phase_number == 1  # type: ignore[attr-defined]
    listed = whitelist.entries(db)
    assert [(e.company, e.division, e.phase) for e in listed] == [("测试口罩厂1", "测试m1", 1)]

    figures = resumption_figures(db, db.get(Division, city.divisions["city"]))  # type: ignore[arg-type]
    assert figures["applications"] == 1
    assert figures["approved_by_phase"] == [{"phase": 1, "approved": 1, "workforce": 120}]
    assert figures["workforce_back"] == 120
    assert figures["by_subdivision"][0]["name"] == "测试d1"


@pytest.mark.parametrize(
    ("phase", "message"),
    [
        ({"opens_in_days": 3}, "opens on"),
        ({"categories": (Category.DAILY_NECESSITIES,)}, "does not admit the category"),
        ({"division": "d2"}, "does not apply to the company's division"),
    ],
)
def test_phase_rules_refuse_a_closed_foreign_or_wrong_category_phase(
    db: Session, city: City, vault: PersonalDataVault, phase: dict[str, object], message: str
) -> None:
    application_id = _ready(db, city, vault, ["wang_father"])
    phase_id = add_phase(db, city, **phase)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=message):
        _decide(db, application_id, decision=Decision.APPROVE, phase_id=phase_id)


def test_a_red_employee_blocks_approval_and_a_yellow_one_needs_a_measure(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = _ready(db, city, vault, ["wang_father", "neighbour"])
    phase_id = add_phase(db, city)
    set_colour(db, city, "neighbour", "red")
    with pytest.raises(InvalidInput, match="1 employees are red"):
        _decide(db, application_id, decision=Decision.APPROVE, phase_id=phase_id)
    db.rollback()
    set_colour(db, city, "neighbour", "yellow")
    with pytest.raises(InvalidInput, match="state the measure"):
        _decide(db, application_id, decision=Decision.APPROVE, phase_id=phase_id)
    db.rollback()
    decided = _decide(
        db,
        application_id,
        decision=Decision.APPROVE,
        phase_id=phase_id,
        yellow_measure="居家观察满7天后返岗",
    )
    assert decided.yellow_measure == "居家观察满7天后返岗"  # type: ignore[attr-defined]


def test_no_approval_without_an_employee_list(db: Session, city: City) -> None:
    application_id = registered_application(db, city)
    phase_id = add_phase(db, city)
    with pytest.raises(InvalidInput, match="has not uploaded its employee list"):
        _decide(db, application_id, decision=Decision.APPROVE, phase_id=phase_id)


def test_refuse_needs_a_reason_and_the_company_may_apply_again(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = _ready(db, city, vault, ["wang_father"])
    with pytest.raises(InvalidInput, match="state the reason"):
        _decide(db, application_id, decision=Decision.REFUSE)
    db.rollback()
    refused = _decide(db, application_id, decision=Decision.REFUSE, reason="防控措施不足")
    assert refused.status == "refused" and refused.version == 2  # type: ignore[attr-defined]
    again = companies.submit(db, principal=principal(db, "enterprise_s1"))
    db.commit()
    assert (again.id, again.status, again.version) == (application_id, "submitted", 3)


def test_suspension_takes_the_company_off_the_whitelist(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = _ready(db, city, vault, ["wang_father"])
    phase_id = add_phase(db, city)
    _decide(db, application_id, decision=Decision.APPROVE, phase_id=phase_id)
    suspended = _decide(
        db, application_id, decision=Decision.SUSPEND, version=2, reason="员工中出现确诊病例"
    )
    assert suspended.status == "suspended"  # type: ignore[attr-defined]
    assert whitelist.entries(db) == []


def test_a_stale_version_or_a_wrong_state_is_a_conflict(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = _ready(db, city, vault, ["wang_father"])
    _decide(db, application_id, decision=Decision.REFUSE, reason="材料不全")
    with pytest.raises(Conflict, match="decided by someone else"):
        _decide(db, application_id, decision=Decision.REFUSE, reason="again")
    db.rollback()
    with pytest.raises(Conflict, match="cannot suspend an application that is refused"):
        _decide(db, application_id, decision=Decision.SUSPEND, version=2, reason="x")


def test_an_officer_outside_the_company_area_is_refused(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = _ready(db, city, vault, ["wang_father"])
    # officer_m3 has no ENTERPRISE_REVIEW by policy; scope is checked for any caller.
    outsider = principal(db, "officer_m3")
    with pytest.raises(AccessDenied):
        review.detail(db, principal=outsider, application_id=application_id)
    assert review.queue(db, principal=outsider) == []


def test_a_company_applies_once(db: Session, city: City) -> None:
    registered_application(db, city)
    with pytest.raises(Conflict, match="already applied"):
        companies.submit(db, principal=principal(db, "enterprise_s1"))

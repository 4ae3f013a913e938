"""Form validation from item definitions, and legal time limits in working days (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from epicontrol.approvals import forms
from epicontrol.approvals.catalogue import parse_items
from epicontrol.approvals.demo import CATALOGUE
from epicontrol.approvals.schemas import ItemDefinition
from epicontrol.approvals.workdays import add_working_days, is_overdue, working_days_between
from epicontrol.core.errors import InvalidInput
from tests.approvals.support import ANSWERS, ID_NUMBER

ITEMS = {item.code: item for item in parse_items(CATALOGUE.read_text(encoding="utf-8"))}


def _definition(code: str) -> ItemDefinition:
    return ITEMS[code].definition


def test_valid_answers_come_back_cleaned() -> None:
    clean = forms.validate(_definition("RS-004"), {**ANSWERS, "id_number": ID_NUMBER.lower()})
    assert clean["id_number"] == ID_NUMBER  # the x of a check digit in upper case
    assert clean["start_on"] == "2020-02-10"
    assert "employer" not in clean  # optional and empty


def test_every_wrong_field_gets_its_own_message() -> None:
    bad = {
        "applicant_name": "",  # required
        "id_number": ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1"),  # check digit
        "start_on": "2020-02-30",
        "scheme": "gold",  # not a choice
        "phone": "x" * 21,  # too long
        "extra": "1",  # not a field
    }
    with pytest.raises(forms.InvalidFields) as refused:
        forms.validate(_definition("RS-004"), bad)
    errors = refused.value.errors
    assert set(errors) == {"applicant_name", "id_number", "start_on", "scheme", "phone", "extra"}
    assert errors["applicant_name"] == "required"
    assert "check digit" in errors["id_number"]
    assert "not a date" in errors["start_on"]
    assert errors["scheme"] == "not one of the choices"
    assert "at most 20" in errors["phone"]
    assert refused.value.status_code == 422


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "at least 1"), ("4", "at most 3"), ("two", "not a number"), ("nan", "not a number")],
)
def test_numbers_are_checked_against_their_range(value: str, message: str) -> None:
    answers = {
        "project_name": "宁乡大道改造", "permit_number": "430124202001010101",
        "original_expiry": "2020-03-01", "months": value, "reason": "疫情停工",
        "applicant_name": "李四", "phone": "0731-87654321",
    }  # fmt: skip
    with pytest.raises(forms.InvalidFields) as refused:
        forms.validate(_definition("ZJ-003"), answers)
    assert refused.value.errors == {"months": message}


def test_id_numbers_are_masked_when_shown() -> None:
    rows = dict(forms.shown(_definition("RS-004"), forms.validate(_definition("RS-004"), ANSWERS)))
    assert ID_NUMBER not in rows.values()
    assert rows["身份证号 Resident ID number"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    assert rows["险种 Scheme"] == "养老和医疗 Pension and medical"


def test_a_definition_without_options_or_steps_is_refused() -> None:
    with pytest.raises(InvalidInput, match="needs options"):
        parse_items(
            '[{"code": "X-1", "name_zh": "甲", "name_en": "A", "department": "D",'
            ' "time_limit_days": 5, "definition": {"fields": [{"name": "c", "label_zh": "丙",'
            ' "label_en": "C", "kind": "choice"}], "steps": [{"name_zh": "审", "name_en": "R",'
            ' "level": "district"}]}}]'
        )
    with pytest.raises(InvalidInput, match="steps"):
        parse_items(
            '[{"code": "X-1", "name_zh": "甲", "name_en": "A", "department": "D",'
            ' "time_limit_days": 5, "definition": {"fields": [{"name": "t", "label_zh": "丙",'
            ' "label_en": "C", "kind": "text"}], "steps": []}}]'
        )


def test_working_days_skip_weekends_and_configured_holidays() -> None:
    friday = date(2026, 12, 4)
    assert add_working_days(friday, 1, ()) == date(2026, 12, 7)  # Monday
    assert add_working_days(friday, 5, ()) == date(2026, 12, 11)
    holidays = {date(2026, 12, 7), date(2026, 12, 8)}
    assert add_working_days(friday, 1, holidays) == date(2026, 12, 9)
    assert working_days_between(friday, date(2026, 12, 14), ()) == 6
    assert working_days_between(friday, date(2026, 12, 14), holidays) == 4


def test_overdue_only_after_the_last_working_day() -> None:
    due = add_working_days(date(2026, 12, 4), 3, ())  # Friday + 3 working days = Wednesday
    assert due == date(2026, 12, 9)
    assert not is_overdue(due, date(2026, 12, 9))
    assert is_overdue(due, date(2026, 12, 10))
    assert not is_overdue(None, date(2030, 1, 1))

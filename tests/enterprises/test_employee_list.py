"""Employee lists: ID numbers kept only as the residents' keyed hash, matched to residents and
their current risk colour; a bad CSV is refused with row numbers and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.models import AuditEntry
from epicontrol.enterprises import companies, employees, review
from epicontrol.enterprises.employees import EmployeeListInvalid
from epicontrol.enterprises.models import EnterpriseEmployee
from tests.enterprises.support import (
    company_in,
    employee_csv,
    principal,
    registered_application,
    set_colour,
)
from tests.factories import City, resident_id

STRANGER = resident_id("330102", "19880808", 77)  # valid, not in the register


def _uploaded(db: Session, city: City, vault: PersonalDataVault, data: bytes) -> int:
    count = companies.upload_employees(
        db, principal=principal(db, "enterprise_s1"), data=data, vault=vault
    )
    db.commit()
    return count


def test_list_is_stored_hashed_and_counted_by_current_colour(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    registered_application(db, city)
    set_colour(db, city, "neighbour", "yellow")
    data = employee_csv(city, ["wang_father", "neighbour", "m3_resident"], [f"外地工,{STRANGER},"])
    assert _uploaded(db, city, vault, data) == 4

    stored = list(db.scalars(select(EnterpriseEmployee)))
    hashes = {row.id_number_hash for row in stored}
    assert vault.lookup_hash("id", city.id_numbers["wang_father"]) in hashes
    blob = b"".join(row.name_enc + (row.phone_enc or b"") for row in stored)
    assert city.id_numbers["wang_father"].encode() not in blob + "".join(hashes).encode()
    assert "王建国".encode() not in blob
    assert {row.name_masked for row in stored} >= {"王**", "张*"}

    company_id = stored[0].enterprise_id
    check = employees.check(db, enterprise_id=company_id)
    assert (check.employees, check.green, check.yellow, check.red, check.unknown) == (4, 2, 1, 0, 1)
    by_place = {r.name: r.employees for r in check.residence}
    assert by_place == {"测试s1": 2, "测试s2": 1, "未登记 not registered": 1}

    set_colour(db, city, "wang_father", "red")  # colours are read now, not at upload
    assert employees.check(db, enterprise_id=company_id).red == 1


def test_a_new_upload_replaces_the_list(db: Session, city: City, vault: PersonalDataVault) -> None:
    registered_application(db, city)
    _uploaded(db, city, vault, employee_csv(city, ["wang_father", "neighbour"]))
    _uploaded(db, city, vault, employee_csv(city, ["m2_resident"]))
    assert db.scalar(select(func.count()).select_from(EnterpriseEmployee)) == 1


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["李四,110101199001011234,13800000000"], "row 3: resident ID check digit is wrong"),
        (["李四,12345,"], "row 3: resident ID must have 18 characters"),
        ([",{wang},"], "row 3: a name of 1 to 40 characters is needed"),
        (["李四,{wang},12345"], "row 3: phone must be an 11-digit"),
        (["王建国,{wang},"], "row 3: the same ID number as row 2"),
    ],
)
def test_bad_rows_are_refused_by_row_number_and_nothing_is_stored(
    db: Session, city: City, vault: PersonalDataVault, extra: list[str], expected: str
) -> None:
    registered_application(db, city)
    lines = [line.replace("{wang}", city.id_numbers["wang_father"]) for line in extra]
    with pytest.raises(EmployeeListInvalid) as refused:
        _uploaded(db, city, vault, employee_csv(city, ["wang_father"], lines))
    db.rollback()
    assert expected in refused.value.message
    assert refused.value.status_code == 422
    assert db.scalar(select(func.count()).select_from(EnterpriseEmployee)) == 0


def test_a_file_without_the_header_or_not_utf8_is_refused(db: Session, city: City) -> None:
    with pytest.raises(EmployeeListInvalid, match="row 1: the header must name"):
        employees.parse_csv(b"foo,bar\n1,2\n")
    with pytest.raises(EmployeeListInvalid, match="not UTF-8"):
        employees.parse_csv("姓名,身份证号\n".encode("gbk"))
    with pytest.raises(EmployeeListInvalid, match="no employees listed"):
        employees.parse_csv("姓名,身份证号,手机号\n".encode())


def test_officer_sees_non_green_employees_masked_and_the_read_is_audited(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = registered_application(db, city)
    set_colour(db, city, "neighbour", "red")
    _uploaded(db, city, vault, employee_csv(city, ["wang_father", "neighbour"]))
    seen = review.detail(
        db, principal=principal(db, "commander"), application_id=application_id, purpose="check"
    )
    db.commit()
    assert [(e.name_masked, e.colour) for e in seen.flagged] == [("张*", "red")]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "enterprise:employees_read"))
    assert entry is not None and entry.actor == "commander" and entry.purpose == "check"


def test_company_registration_refuses_a_bad_credit_code(db: Session, city: City) -> None:
    from epicontrol.core.errors import InvalidInput

    company = principal(db, "enterprise_s1")
    code = company_in(city).credit_code
    wrong_check = code[:17] + ("0" if code[17] != "0" else "1")
    for bad, message in (
        (wrong_check, "check character is wrong"),
        ("91410102ABCDEFGHIO", "may not contain IO"),
        ("9141010200000000", "18 characters"),
    ):
        with pytest.raises(InvalidInput, match=message):
            companies.register(db, principal=company, data=company_in(city, credit_code=bad))

"""Linkage runs: exact and corrupted records link to the right resident, strangers do not."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.linkage import intake, service
from epicontrol.cases.linkage.models import LinkagePair, LinkageRecord, PairState, RecordStatus
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault, mask_name
from epicontrol.core.db import utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.models import AuditEntry, User
from epicontrol.people.models import Resident
from tests.factories import City, resident_id
from tests.linkage.conftest import Person


def principal(db: Session, username: str) -> Principal:
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    found = load_principal(db, user_id)
    assert found is not None
    return found


def swap(text: str, at: int) -> str:
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def enqueue_and_run(
    db: Session, city: City, vault: PersonalDataVault, records: list[dict[str, object]]
) -> list[LinkageRecord]:
    epidemiologist = principal(db, "epidemiologist")
    stored = intake.enqueue(
        db,
        source="medical_record",
        source_id=None,
        records=records,
        division_id=city.divisions["d1"],
        vault=vault,
        actor=epidemiologist,
    )
    service.run(db, principal=epidemiologist, vault=vault, now=utcnow())
    db.commit()
    return stored


def test_exact_and_corrupted_records_link_to_the_right_resident(
    db: Session, city: City, vault: PersonalDataVault, register: dict[str, Person]
) -> None:
    wang, li, extra, other = (
        register["wang_father"],
        register["wang_mother"],
        register["extra7"],
        register["extra12"],
    )
    born = other.id_number[6:14]
    wrong_check = extra.id_number[:17] + ("0" if extra.id_number[17] != "0" else "1")
    records = [
        # exactly as registered
        {
            "source_ref": "exact",
            "name": wang.name,
            "id_number": wang.id_number,
            "phone": wang.phone,
        },
        # two ID digits swapped, one name character mistyped
        {"source_ref": "swapped", "name": "李秀荣", "id_number": swap(li.id_number, 15)},
        # wrong check digit, no phone
        {"source_ref": "check", "name": extra.name, "id_number": wrong_check},
        # no ID number at all, one phone digit changed, birth date given
        {
            "source_ref": "no-id",
            "name": other.name,
            "phone": other.phone[:-1] + ("9" if other.phone[-1] != "9" else "8"),
            "birth_date": "-".join((born[:4], born[4:6], born[6:])),
        },
    ]
    stored = enqueue_and_run(db, city, vault, records)
    expected = [wang, li, extra, other]
    for record, person in zip(stored, expected, strict=True):
        db.refresh(record)
        assert (record.source_ref, record.status, record.resident_id) == (
            record.source_ref,
            RecordStatus.LINKED.value,
            person.resident_id,
        )
        assert record.linked_by == "auto"
    links = db.scalars(select(AuditEntry).where(AuditEntry.action == "auto_link")).all()
    assert len(links) == 4


def test_a_stranger_links_to_nobody(
    db: Session, city: City, vault: PersonalDataVault, register: dict[str, Person]
) -> None:
    [record] = enqueue_and_run(
        db,
        city,
        vault,
        [
            {
                "source_ref": "visitor",
                "name": "欧阳修远",
                "id_number": "110105198807070417",
                "phone": "18912345678",
            }
        ],
    )
    db.refresh(record)
    assert record.status == RecordStatus.UNMATCHED.value
    assert record.resident_id is None
    assert db.scalars(select(LinkagePair)).all() == []


def test_identity_is_not_stored_in_clear(
    db: Session, city: City, vault: PersonalDataVault, register: dict[str, Person]
) -> None:
    wang = register["wang_father"]
    [record] = intake.enqueue(
        db,
        source="inspection",
        source_id=None,
        records=[{"source_ref": "r1", "name": wang.name, "id_number": wang.id_number}],
        division_id=city.divisions["d1"],
        vault=vault,
    )
    db.commit()
    row = db.get(LinkageRecord, record.id)
    assert row is not None
    stored = b"".join(
        value if isinstance(value, bytes) else str(value).encode()
        for value in (row.name_enc, row.id_number_enc, row.name_masked, row.id_number_hash)
    )
    assert wang.id_number.encode() not in stored
    assert wang.name.encode() not in stored
    assert row.id_number_hash == vault.lookup_hash("id", wang.id_number)
    assert (row.birth_year, row.sex) == (1970, "M")  # derived from the ID number


def test_residents_outside_the_runners_scope_are_not_candidates(
    db: Session, city: City, vault: PersonalDataVault, register: dict[str, Person]
) -> None:
    far = register["m3_resident"]  # lives in d2; the epidemiologist covers d1
    [record] = enqueue_and_run(
        db,
        city,
        vault,
        [{"source_ref": "far", "name": far.name, "id_number": far.id_number, "phone": far.phone}],
    )
    db.refresh(record)
    assert record.resident_id is None
    assert record.status == RecordStatus.UNMATCHED.value
    assert db.scalar(select(LinkagePair.id).where(LinkagePair.state == PairState.REVIEW)) is None


def test_two_near_certain_candidates_go_to_review_not_auto_link(
    db: Session, city: City, vault: PersonalDataVault, register: dict[str, Person]
) -> None:
    # Twins: same birth date, family name and the parents' phone; given names one character
    # apart. A record without an ID number fits both well; a person must choose.
    twins = []
    for sequence, name in ((201, "赵浩宇"), (203, "赵浩轩")):
        number = resident_id("410102", "20180606", sequence)
        twin = Resident(
            division_id=city.divisions["g2"],
            id_number_hash=vault.lookup_hash("id", number),
            id_number_enc=vault.encrypt(number),
            name_enc=vault.encrypt(name),
            name_masked=mask_name(name),
            phone_hash=vault.lookup_hash("phone", "13912340000"),
            phone_enc=vault.encrypt("13912340000"),
            sex="M",
            birth_year=2018,
        )
        db.add(twin)
        db.flush()
        twins.append(twin.id)
    db.commit()
    [record] = enqueue_and_run(
        db,
        city,
        vault,
        [
            {
                "source_ref": "twin",
                "name": "赵浩宇",
                "phone": "13912340000",
                "birth_date": "2018-06-06",
                "sex": "男",
            }
        ],
    )
    db.refresh(record)
    assert (record.status, record.resident_id) == (RecordStatus.REVIEW.value, None)
    pairs = db.scalars(select(LinkagePair).where(LinkagePair.record_id == record.id)).all()
    assert sorted(p.resident_id for p in pairs) == sorted(twins)
    assert all(p.state == PairState.REVIEW.value for p in pairs)


def test_enqueue_refuses_bad_input_and_repeats_and_stores_nothing(
    db: Session, city: City, vault: PersonalDataVault
) -> None:
    good = {"source_ref": "reg-1", "name": "王建国", "phone": "13800001111"}
    bad_calls = [
        ({"source": "rumour", "division_id": city.divisions["d1"]}, [good], InvalidInput),
        ({"source": "inspection", "division_id": 999_999}, [good], InvalidInput),
        ({"source": "inspection", "division_id": city.divisions["d1"]}, [good, good], Conflict),
        (
            {"source": "inspection", "division_id": city.divisions["d1"]},
            [{"source_ref": "x", "name": "王建国", "id_number": "41010219700312"}],
            InvalidInput,
        ),
    ]
    for where, records, error in bad_calls:
        with pytest.raises(error):
            intake.enqueue(db, source_id=None, records=records, vault=vault, **where)  # type: ignore[arg-type]
        db.rollback()
    intake.enqueue(
        db,
        source="clinic_registration",
        source_id=5,
        records=[good],
        division_id=city.divisions["d1"],
        vault=vault,
    )
    db.commit()
    with pytest.raises(Conflict):
        intake.enqueue(
            db,
            source="clinic_registration",
            source_id=5,
            records=[good],
            division_id=city.divisions["d1"],
            vault=vault,
        )
    db.rollback()
    assert len(db.scalars(select(LinkageRecord)).all()) == 1

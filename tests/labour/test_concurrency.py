"""A need's filled count never passes its positions, however many acceptances arrive together,
on SQLite and PostgreSQL: each acceptance runs in its own thread and session."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault, mask_name
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.errors import Conflict
from epicontrol.labour import matching, service
from epicontrol.labour.models import LabourApplication, LabourNeed
from epicontrol.people.models import Resident
from tests.factories import City
from tests.labour.support import offer_work, place_city, post_need, principal

POSITIONS = 3
CANDIDATES = 12


def _add_candidates(db: Session, vault: PersonalDataVault, city: City) -> list[int]:
    people = [
        Resident(
            division_id=city.divisions["g1"],
            id_number_hash=vault.lookup_hash("id", f"labour-test-{n}"),
            id_number_enc=b"",
            name_enc=vault.encrypt("测试工人"),
            name_masked=mask_name("测试工人"),
            sex="F",
            birth_year=1985,
        )
        for n in range(CANDIDATES)
    ]
    db.add_all(people)
    db.commit()
    for person in people:
        offer_work(db, person.id)
    return [person.id for person in people]


def test_simultaneous_acceptances_never_fill_more_than_the_positions(
    db_url: str, db: Session, city: City, vault: PersonalDataVault
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=POSITIONS)
    officer = principal(db, "officer_m1")
    proposed = [
        matching.propose(db, principal=officer, need_id=need_id, resident_id=resident).id
        for resident in _add_candidates(db, vault, city)
    ]
    db.commit()
    employer = principal(db, "enterprise_s1")
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(len(proposed))

    def accept(application_id: int) -> str:
        with sessions() as session:
            start.wait()
            try:
                matching.decide(
                    session, principal=employer, application_id=application_id, accept=True
                )
                session.commit()
                return "accepted"
            except Conflict:
                session.rollback()
                return "refused"

    with ThreadPoolExecutor(max_workers=len(proposed)) as pool:
        outcomes = Counter(pool.map(accept, proposed))

    assert outcomes == {"accepted": POSITIONS, "refused": CANDIDATES - POSITIONS}, outcomes
    db.expire_all()
    assert db.scalar(select(LabourNeed.filled).where(LabourNeed.id == need_id)) == POSITIONS
    statuses = db.execute(
        select(LabourApplication.status, func.count()).group_by(LabourApplication.status)
    ).all()
    assert dict(statuses) == {"accepted": POSITIONS, "proposed": CANDIDATES - POSITIONS}


def test_one_resident_applying_many_times_at_once_gets_one_application(
    db_url: str, db: Session, city: City
) -> None:
    need_id = post_need(db, city)
    offer_work(db, city.residents["wang_father"])
    resident = principal(db, "resident_wang")
    sessions = session_factory(engine_for(db_url))
    presses = 6
    start = threading.Barrier(presses)

    def press(_: int) -> str:
        with sessions() as session:
            start.wait()
            try:
                service.apply(session, principal=resident, need_id=need_id)
                session.commit()
                return "applied"
            except Conflict:
                session.rollback()
                return "refused"

    with ThreadPoolExecutor(max_workers=presses) as pool:
        outcomes = Counter(pool.map(press, range(presses)))

    assert outcomes == {"applied": 1, "refused": presses - 1}, outcomes
    assert db.scalar(select(func.count()).select_from(LabourApplication)) == 1

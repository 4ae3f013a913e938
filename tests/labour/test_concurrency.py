"""A need's filled count never passes its positions, however many acceptances arrive together,
a seat is given back once however many releases, drops and acceptances race for it, and a
released resident applying again from several presses at once gets one application, on SQLite
and PostgreSQL: each request runs in its own thread and session."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault, mask_name
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.errors import Conflict
from epicontrol.core.models import AuditEntry
from epicontrol.labour import matching, service
from epicontrol.labour.models import SEAT_HOLDING, LabourApplication, LabourNeed
from epicontrol.people.models import Resident
from tests.factories import City
from tests.health_code.records import add_fever
from tests.labour.support import clear_fevers, offer_work, place_city, post_need, principal

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


PRESSES = 6


def _apply_at_once(db_url: str, resident: Principal, need_id: int, presses: int) -> Counter[str]:
    """The resident presses "apply" `presses` times at once, each in a session of its own."""
    sessions = session_factory(engine_for(db_url))
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
        return Counter(pool.map(press, range(presses)))


def test_one_resident_applying_many_times_at_once_gets_one_application(
    db_url: str, db: Session, city: City
) -> None:
    need_id = post_need(db, city)
    offer_work(db, city.residents["wang_father"])
    resident = principal(db, "resident_wang")
    outcomes = _apply_at_once(db_url, resident, need_id, PRESSES)

    assert outcomes == {"applied": 1, "refused": PRESSES - 1}, outcomes
    assert db.scalar(select(func.count()).select_from(LabourApplication)) == 1


def _hire_and_turn_yellow(db: Session, need_id: int, resident_ids: list[int]) -> list[int]:
    """Propose and accept each resident for the need, then give them a fever (committed)."""
    officer, employer = principal(db, "officer_m1"), principal(db, "enterprise_s1")
    hired = []
    for resident in resident_ids:
        application = matching.propose(db, principal=officer, need_id=need_id, resident_id=resident)
        matching.decide(db, principal=employer, application_id=application.id, accept=True)
        hired.append(application.id)
    for resident in resident_ids:
        add_fever(db, resident)
    db.commit()
    return hired


def _seat_holders(db: Session, need_id: int) -> tuple[int, int]:
    """The need's `filled` and the number of its applications that hold a seat."""
    db.expire_all()
    filled = db.scalar(select(LabourNeed.filled).where(LabourNeed.id == need_id))
    holding = db.scalar(
        select(func.count())
        .select_from(LabourApplication)
        .where(LabourApplication.need_id == need_id, LabourApplication.status.in_(SEAT_HOLDING))
    )
    return int(filled or 0), int(holding or 0)


def test_releases_and_acceptances_racing_for_the_freed_seats_never_overfill(
    db_url: str, db: Session, city: City, vault: PersonalDataVault
) -> None:
    place_city(db, city)
    need_id = post_need(db, city, positions=POSITIONS)
    residents = _add_candidates(db, vault, city)
    released = _hire_and_turn_yellow(db, need_id, residents[:POSITIONS])
    officer = principal(db, "officer_m1")
    waiting = [
        matching.propose(db, principal=officer, need_id=need_id, resident_id=resident).id
        for resident in residents[POSITIONS:]
    ]
    db.commit()
    assert _seat_holders(db, need_id) == (POSITIONS, POSITIONS)
    employer = principal(db, "enterprise_s1")
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(len(released) + len(waiting))

    def act(job: tuple[str, int]) -> str:
        kind, application_id = job
        with sessions() as session:
            start.wait()
            try:
                if kind == "release":
                    matching.release(session, principal=employer, application_id=application_id)
                else:
                    matching.decide(
                        session, principal=employer, application_id=application_id, accept=True
                    )
                session.commit()
                return {"release": "released", "accept": "accepted"}[kind]
            except Conflict:
                session.rollback()
                return "refused"

    jobs = [("release", a) for a in released] + [("accept", a) for a in waiting]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        outcomes = Counter(pool.map(act, jobs))

    assert outcomes["released"] == POSITIONS, outcomes
    assert outcomes["accepted"] <= POSITIONS, outcomes
    filled, holding = _seat_holders(db, need_id)
    assert filled == holding == outcomes["accepted"], (filled, holding, outcomes)
    # The seats no racing acceptance got are still free: the rest, one by one, fill them exactly.
    for application_id in waiting:
        try:
            matching.decide(db, principal=employer, application_id=application_id, accept=True)
            db.commit()
        except Conflict:
            db.rollback()
    assert _seat_holders(db, need_id) == (POSITIONS, POSITIONS)


def test_a_seat_is_given_back_once_when_releases_and_a_drop_race(
    db_url: str, db: Session, city: City, vault: PersonalDataVault
) -> None:
    """The employer releases an accepted hire who turned yellow from several tabs while the
    resident presses confirm (which drops them): one of them gives the seat back, once."""
    place_city(db, city)
    need_id = post_need(db, city, positions=POSITIONS)
    employer, officer = principal(db, "enterprise_s1"), principal(db, "officer_m1")
    for resident in _add_candidates(db, vault, city)[: POSITIONS - 1]:  # green hires stay
        application = matching.propose(db, principal=officer, need_id=need_id, resident_id=resident)
        matching.decide(db, principal=employer, application_id=application.id, accept=True)
    db.commit()
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    [yellow] = _hire_and_turn_yellow(db, need_id, [wang])
    assert _seat_holders(db, need_id) == (POSITIONS, POSITIONS)
    resident = principal(db, "resident_wang")
    sessions = session_factory(engine_for(db_url))
    presses = ["release"] * 4 + ["confirm"] * 2
    start = threading.Barrier(len(presses))

    def press(kind: str) -> str:
        with sessions() as session:
            start.wait()
            try:
                if kind == "release":
                    matching.release(session, principal=employer, application_id=yellow)
                else:
                    matching.confirm(session, principal=resident, application_id=yellow)
                session.commit()
                return "released"
            except matching.NoLongerGreen:
                session.commit()  # as the routes do: a drop is kept
                return "dropped"
            except Conflict:
                session.rollback()
                return "refused"

    with ThreadPoolExecutor(max_workers=len(presses)) as pool:
        outcomes = Counter(pool.map(press, presses))

    assert outcomes["released"] <= 1 and outcomes["refused"] >= 3, outcomes
    db.expire_all()
    final = db.get(LabourApplication, yellow)
    assert final is not None and final.status in ("released", "dropped"), outcomes
    assert _seat_holders(db, need_id) == (POSITIONS - 1, POSITIONS - 1), outcomes


def test_a_released_resident_reapplying_many_times_at_once_gets_one_application(
    db_url: str, db: Session, city: City
) -> None:
    """Released when yellow, green again: six presses of "apply" at once renew the one row
    once (one audit entry), the others are refused."""
    place_city(db, city)
    need_id = post_need(db, city, positions=POSITIONS)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    [hired] = _hire_and_turn_yellow(db, need_id, [wang])
    matching.release(db, principal=principal(db, "enterprise_s1"), application_id=hired)
    clear_fevers(db, wang)
    db.commit()
    resident = principal(db, "resident_wang")
    outcomes = _apply_at_once(db_url, resident, need_id, PRESSES)

    assert outcomes == {"applied": 1, "refused": PRESSES - 1}, outcomes
    db.expire_all()
    rows = db.execute(select(LabourApplication.id, LabourApplication.status)).all()
    assert [tuple(row) for row in rows] == [(hired, "applied")]
    renewals = db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "reapply")
    )
    assert renewals == 1

"""At the same moment, on SQLite and PostgreSQL: two officers deciding one application (one
wins, the other gets 409), one company applying twice (one application), and an approval racing
an edit of its phase (never both: no approval is left outside its phase)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.errors import Conflict, EpicontrolError
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.enterprises import companies, phase_changes, review
from epicontrol.enterprises.models import Category, ResumptionApplication, ResumptionPhase
from epicontrol.enterprises.phases import phase_in
from epicontrol.enterprises.schemas import Decision, DecisionIn
from tests.enterprises.support import (
    add_phase,
    company_in,
    employee_csv,
    principal,
    ready_application,
)
from tests.factories import PASSWORD_HASH, City

ATTEMPTS = 8


def _race(db_url: str, attempts: list[Callable[[Session], object]]) -> Counter[str]:
    """Run each attempt in its own session and thread, all released together."""
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(len(attempts))

    def attempt(action: Callable[[Session], object]) -> str:
        with sessions() as session:
            start.wait()
            try:
                action(session)
                session.commit()
                return "done"
            except Conflict:
                session.rollback()
                return "conflict"

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return Counter(pool.map(attempt, attempts))


def _second_commander(db: Session, city: City) -> Principal:
    db.add(
        User(
            username="commander_2",
            password_hash=PASSWORD_HASH,
            role=Role.COMMANDER.value,
            division_id=city.divisions["city"],
        )
    )
    db.commit()
    return principal(db, "commander_2")


def test_two_officers_deciding_at_once_one_wins_the_other_gets_409(
    db_url: str, db: Session, city: City, vault: PersonalDataVault
) -> None:
    company = principal(db, "enterprise_s1")
    companies.register(db, principal=company, data=company_in(city))
    application_id = companies.submit(db, principal=company).id
    companies.upload_employees(
        db, principal=company, data=employee_csv(city, ["wang_father"]), vault=vault
    )
    db.commit()
    phase_id = add_phase(db, city)
    officers = [principal(db, "commander"), _second_commander(db, city)] * (ATTEMPTS // 2)
    decisions = [
        DecisionIn(decision=Decision.APPROVE, version=1, phase_id=phase_id),
        DecisionIn(decision=Decision.REFUSE, version=1, reason="不符合条件"),
    ] * (ATTEMPTS // 2)

    def deciding(officer: Principal, data: DecisionIn) -> Callable[[Session], object]:
        return lambda s: review.decide(
            s, principal=officer, application_id=application_id, data=data
        )

    outcomes = _race(db_url, [deciding(o, d) for o, d in zip(officers, decisions, strict=True)])

    assert outcomes == {"done": 1, "conflict": ATTEMPTS - 1}, outcomes
    db.expire_all()
    stored = db.get(ResumptionApplication, application_id)
    assert stored is not None and stored.version == 2
    assert stored.status in {"approved", "refused"}


def test_the_same_company_applying_twice_at_once_gets_one_application(
    db_url: str, db: Session, city: City
) -> None:
    company = principal(db, "enterprise_s1")
    companies.register(db, principal=company, data=company_in(city))
    db.commit()

    outcomes = _race(db_url, [lambda s: companies.submit(s, principal=company)] * ATTEMPTS)

    assert outcomes == {"done": 1, "conflict": ATTEMPTS - 1}, outcomes
    assert db.scalar(select(func.count()).select_from(ResumptionApplication)) == 1


def test_an_approval_and_an_edit_of_its_phase_at_once_never_both_succeed(
    db_url: str, db: Session, city: City, vault: PersonalDataVault
) -> None:
    application_id = ready_application(db, city, vault)
    phase_id = add_phase(db, city)
    phase = db.get(ResumptionPhase, phase_id)
    assert phase is not None
    seen = phase_in(phase)
    without_the_category = seen.model_copy(update={"categories": [Category.OTHER]})
    approving = DecisionIn(decision=Decision.APPROVE, version=1, phase_id=phase_id)
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(2)

    def attempt(action: Callable[[Session], object]) -> str:
        with sessions() as session:
            start.wait()
            try:
                action(session)
                session.commit()
                return "done"
            except EpicontrolError:  # 409 from either side, or 422 from the phase rules
                session.rollback()
                return "refused"

    officer = principal(db, "commander")
    attempts: list[Callable[[Session], object]] = [
        lambda s: review.decide(
            s, principal=officer, application_id=application_id, data=approving
        ),
        lambda s: phase_changes.edit_phase(
            s, principal=officer, phase_id=phase_id, seen=seen, values=without_the_category
        ),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = Counter(pool.map(attempt, attempts))

    assert outcomes == {"done": 1, "refused": 1}, outcomes
    db.expire_all()
    stored = db.get(ResumptionApplication, application_id)
    changed = db.get(ResumptionPhase, phase_id)
    assert stored is not None and changed is not None
    assert (stored.status == "approved") == (phase_in(changed) == seen)

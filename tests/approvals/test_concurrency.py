"""Two reviewers decide the same application at the same moment, each in their own session and
thread: one wins, the other gets 409 and changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from epicontrol.approvals import applications, review
from epicontrol.approvals.models import ApprovalApplication, Status
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.errors import Conflict
from tests.approvals.support import NOW, load_catalogue, principal, submitted
from tests.factories import City

ROUNDS = 5


def _race(db_url: str, application_id: int, version: int, actions: list[str]) -> list[str]:
    sessions = session_factory(engine_for(db_url))
    start = threading.Barrier(len(actions))

    def act(pair: tuple[str, str]) -> str:
        username, action = pair
        with sessions() as db:
            reviewer = principal(db, username)
            start.wait()
            try:
                review.decide(
                    db, principal=reviewer, application_id=application_id,
                    expected_version=version, action=review.Action(action), reason="why",
                    now=NOW,
                )  # fmt: skip
                db.commit()
                return action
            except Conflict:
                db.rollback()
                return "409"

    pairs = [("commander" if n % 2 else "officer_m1", a) for n, a in enumerate(actions)]
    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(act, pairs))


@pytest.mark.parametrize("actions", [["approve", "reject"], ["return", "approve", "reject"]])
def test_of_reviewers_acting_at_once_exactly_one_wins(
    db_url: str, db: Session, city: City, tmp_path: Path, actions: list[str]
) -> None:
    load_catalogue(db)
    for _ in range(ROUNDS):
        application = submitted(db, tmp_path)
        seen = application.row_version
        outcomes = _race(db_url, application.id, seen, actions)
        assert sorted(outcomes).count("409") == len(actions) - 1, outcomes
        winner = next(o for o in outcomes if o != "409")
        db.expire_all()
        stored = db.get(ApprovalApplication, application.id)
        assert stored is not None and stored.row_version == seen + 1
        expected = {
            "approve": (Status.IN_REVIEW.value, 1),
            "reject": (Status.REJECTED.value, 0),
            "return": (Status.RETURNED.value, 0),
        }[winner]
        assert (stored.status, stored.current_step) == expected
        decisions = [e for e in applications.history(db, application.id) if e.step is not None]
        assert [e.action for e in decisions] == [winner]

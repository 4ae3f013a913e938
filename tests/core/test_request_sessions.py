"""A rush of authenticated writes to an ordinary route through a real server gets no 5xx, on
SQLite and PostgreSQL: the standard request session (core/deps.get_db) and permission check
(require) hold no connection or write lock while a request waits for a thread."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.reports.models import SelfCheck
from tests.concurrency_support import post_all_at_once
from tests.factories import City
from tests.supplies.support import add_households, bearer

WRITES = 200


def test_200_simultaneous_self_checks_are_all_stored_without_a_server_error(
    live_server: str, city: City, db: Session, vault: PersonalDataVault
) -> None:
    users = add_households(db, vault, city, WRITES)
    before = db.scalar(select(func.count()).select_from(SelfCheck))

    statuses = post_all_at_once(
        live_server, "/api/self-checks", [({"temperature": 36.6}, bearer(user)) for user in users]
    )

    assert statuses == {201: WRITES}, statuses
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SelfCheck)) == (before or 0) + WRITES

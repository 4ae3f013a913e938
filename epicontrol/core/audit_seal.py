"""The background sealer: a daemon thread of a serving process that seals new audit entries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit_chain
from epicontrol.core.db import utcnow
from epicontrol.core.errors import InvalidInput
from epicontrol.core.periodic import PeriodicWorker

logger = logging.getLogger(__name__)


class AuditSealer(PeriodicWorker):
    """Seals unsealed audit entries every interval, a batch per short transaction."""

    def __init__(
        self, sessions: Callable[[], Session], *, secret: str, interval_seconds: float
    ) -> None:
        if interval_seconds <= 0:
            raise InvalidInput("the sealing interval must be positive")
        super().__init__(name="epicontrol-sealer", interval_seconds=interval_seconds)
        self.sealed = 0
        self._key = audit_chain.chain_key(secret)
        self._sessions = sessions

    def run_once(self) -> int:
        """Seal what is there now; returns how many entries (0 when another sealer won)."""
        try:
            with self._sessions() as session:
                sealed = audit_chain.seal_all(
                    session, key=self._key, lookback=audit_chain.LOOKBACK_IDS
                )
        except (IntegrityError, DBAPIError) as error:
            # Another process sealed the same entries first (SQLite has no advisory lock), or
            # the store was busy: the next interval takes up where it left off.
            self.last_error = error
            logger.info("audit sealing deferred: %s", type(error).__name__)
            return 0
        self.sealed += sealed
        return sealed

    def tick(self) -> None:
        self.run_once()


def start_audit_sealer(
    sessions: Callable[[], Session], *, secret: str, interval_seconds: float
) -> AuditSealer:
    """Start sealing every `interval_seconds` with sessions from `sessions`; `.stop()` at
    shutdown. Safe in every worker of a multi-worker server."""
    return AuditSealer(sessions, secret=secret, interval_seconds=interval_seconds).start()


# (username of the demo account, hours ago, action, entity, purpose): staff who looked at the
# demo resident's record, so that /public/me/access-log has something to show.
_DEMO_ACCESSES = (
    ("gridworker", 50, "read", "risk_status", "fever follow-up"),
    ("epidemiologist", 30, "read", "resident", "epidemiological investigation"),
    ("officer", 20, "read", "household", "estate health registration"),
    ("epidemiologist", 3, "read", "risk_status", "contact tracing"),
)


def seed_demo(db: Session, *, secret: str, now: datetime | None = None) -> None:
    """Record a few staff reads of the demo resident's record, then seal the whole audit log
    (commits; run it after every other seed so their entries are sealed too)."""
    from epicontrol.core import audit
    from epicontrol.core.deps import load_principal
    from epicontrol.core.models import User
    from epicontrol.people.models import Resident

    now = now or utcnow()
    resident = db.execute(
        select(User.resident_id, Resident.household_id)
        .join(Resident, Resident.id == User.resident_id)
        .where(User.username == "resident")
    ).first()
    if resident is not None:
        for username, hours, action, entity, purpose in _DEMO_ACCESSES:
            user_id = db.scalar(select(User.id).where(User.username == username))
            staff = load_principal(db, user_id) if user_id is not None else None
            if staff is None:
                continue
            key = resident.household_id if entity == "household" else resident.resident_id
            entry = audit.record(
                db, actor=staff, action=action, entity=entity, entity_id=key, purpose=purpose
            )
            entry.at = now - timedelta(hours=hours)
        db.commit()
    audit_chain.seal_all(db, key=audit_chain.chain_key(secret))

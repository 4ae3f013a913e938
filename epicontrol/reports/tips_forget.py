"""Forgetting who sent a public report once the hash is no longer needed: a whistleblower's
connection must not stay linkable to their report.

The keyed hash of an IP address can be reversed by whoever holds the deployment secret (there
are only 2^32 IPv4 addresses), so it is kept only as long as the rate limit (one hour) and the
refusal of repeats (one day) need it, then blanked. Reports themselves stay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.periodic import PeriodicWorker
from epicontrol.reports import rules
from epicontrol.reports.models import Tip, TipClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What one pass forgot."""

    reports: int
    clients: int


def forget_senders(db: Session, *, now: datetime) -> Forgotten:
    """Blank the sender hashes of reports older than the repeat window and drop client rows
    idle longer than the rate window (the caller commits)."""
    keep_since = now - max(rules.DUPLICATE_WINDOW, rules.TIP_RATE_WINDOW)
    reports = db.execute(
        update(Tip)
        .where(Tip.submitted_at < keep_since, Tip.client_hash != "")
        .values(client_hash="", content_hash="")
    )
    clients = db.execute(
        delete(TipClient).where(TipClient.last_submitted_at < now - rules.TIP_RATE_WINDOW)
    )
    return Forgotten(reports=reports.rowcount or 0, clients=clients.rowcount or 0)  # type: ignore[attr-defined]


class SenderForgetter(PeriodicWorker):
    """A daemon thread running forget_senders at start and then every interval; idempotent, so
    every worker of a multi-worker server may run one."""

    def __init__(self, sessions: Callable[[], Session], *, interval_seconds: float) -> None:
        super().__init__(name="epicontrol-tip-senders", interval_seconds=interval_seconds)
        self.runs = 0
        self._sessions = sessions

    def run_once(self) -> Forgotten | None:
        """One pass in its own transaction; None if it failed (logged, retried next interval)."""
        try:
            with self._sessions() as session:
                forgotten = forget_senders(session, now=utcnow())
                session.commit()
        except Exception:
            logger.exception("forgetting the senders of public reports failed")
            return None
        self.runs += 1
        return forgotten

    def tick(self) -> None:
        self.run_once()


def start_sender_forgetter(
    sessions: Callable[[], Session], *, interval_seconds: float
) -> SenderForgetter | None:
    """Start forgetting every `interval_seconds` (the purge interval); None when it is 0."""
    if interval_seconds <= 0:
        return None
    return SenderForgetter(sessions, interval_seconds=interval_seconds).start()

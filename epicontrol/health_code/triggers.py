"""Keeping risk statuses current: session events that recompute, before each commit, the
residents whose cases, contacts, self-checks or arrivals the transaction changed; and a sweep
thread for what no session event sees (Core inserts, expiry, risk areas).

The other domains never import this module: it listens to every Session of the process once
imported (epicontrol/models.py and health_code.service import it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from epicontrol.cases.models import Case
from epicontrol.core.db import utcnow
from epicontrol.core.periodic import PeriodicWorker
from epicontrol.health_code import consistency, status
from epicontrol.health_code.rules import RiskRules, active, use
from epicontrol.movements.models import Movement, RiskArea
from epicontrol.reports.models import SelfCheck
from epicontrol.tracing.models import Contact

logger = logging.getLogger(__name__)
DIRTY = status.DIRTY  # Session.info key: resident ids to recompute before commit
AREAS = "risk_status_areas"  # Session.info key: region codes of risk areas changed
CHANGED = status.CHANGED  # Session.info key: statuses written in this transaction

# Table name -> the column naming the resident whose status the row affects.
RESIDENT_COLUMN: dict[str, str] = {
    "cases": "resident_id",
    "contacts": "contact_resident_id",
    "self_checks": "resident_id",
    "risk_appeals": "resident_id",
}
_TABLES: dict[str, Any] = {
    "cases": Case.__table__,
    "contacts": Contact.__table__,
    "self_checks": SelfCheck.__table__,
}


def _dirty(session: Session) -> set[int]:
    found: set[int] = session.info.setdefault(DIRTY, set())
    return found


def mark(session: Session, resident_ids: Iterable[int | None]) -> None:
    """Recompute these residents before the session's transaction commits."""
    _dirty(session).update(resident for resident in resident_ids if resident is not None)


@event.listens_for(Session, "after_flush")
def _collect_flushed(session: Session, _context: Any) -> None:
    """Residents of every Case, Contact, SelfCheck and RiskArea row this flush wrote."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        column = RESIDENT_COLUMN.get(table or "")
        if column is not None:
            mark(session, [getattr(obj, column)])
        elif isinstance(obj, RiskArea):
            session.info.setdefault(AREAS, set()).add(obj.region_code)


@event.listens_for(Session, "do_orm_execute")
def _collect_statements(state: ORMExecuteState) -> None:
    """Residents touched by bulk UPDATE/DELETE statements and Core INSERTs run through the
    session (tracing deletes stale contacts this way): their rows are looked up first."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    column = RESIDENT_COLUMN.get(name or "")
    if column is None or name not in _TABLES:
        return
    params: Any = state.parameters
    rows: list[Any] = [row for row in (params if isinstance(params, list) else [params]) if row]
    if state.is_insert:
        # INSERT ... SELECT or inline values name no resident: the sweep picks those up.
        mark(state.session, [row.get(column) for row in rows])
        return
    table = _TABLES[name]
    where = getattr(state.statement, "whereclause", None)
    query = select(table.c[column]).distinct()
    if isinstance(params, list):  # bulk UPDATE by primary key: one parameter set per row
        keys = [row["id"] for row in rows if "id" in row]
        query = query.where(table.c.id.in_(keys))
        params = None
    elif where is not None:
        query = query.where(where)
    # On the connection, not the session: a session query would re-enter this hook.
    ids = state.session.connection().execute(query, params or {}).scalars()
    mark(state.session, list(ids))


@event.listens_for(Session, "before_commit")
def _recompute_before_commit(session: Session) -> None:
    """Recompute the touched residents in the committing transaction itself."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # what commit would flush next: collects the residents it touches
    if not session.info.get(DIRTY) and not session.info.get(AREAS):
        return
    areas = session.info.pop(AREAS, set())
    if areas:
        mark(session, arrivals_from(session, areas, now=utcnow(), rules=active()))
    dirty = session.info.pop(DIRTY, set())
    if dirty:
        status.recompute(session, dirty)
        session.flush()
    session.info.pop(DIRTY, None)  # the recomputation itself touches no tracked table


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    if session.info.pop(CHANGED, False):
        status.generation.bump()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for key in (DIRTY, AREAS, CHANGED):
        session.info.pop(key, None)


def arrivals_from(
    db: Session,
    region_codes: set[str],
    *,
    now: datetime,
    rules: RiskRules,
    received_after: datetime | None = None,
) -> list[int]:
    """Residents with an arrival from any of these regions within the arrival window (only
    those of records received after `received_after`, when given)."""
    since = now - timedelta(days=rules.risk_area_arrival_days)
    found: set[int] = set()
    for code in region_codes:
        query = (
            select(Movement.resident_id)
            .where(
                Movement.day >= since.date() - timedelta(days=1),
                Movement.occurred_at > since,
                Movement.resident_id.is_not(None),
                func.substr(Movement.origin, 1, len(code)) == code,
            )
            .distinct()
        )
        if received_after is not None:
            query = query.where(Movement.received_at > received_after)
        found.update(r for r in db.connection().execute(query).scalars() if r is not None)
    return sorted(found)


def sweep(
    db: Session, *, now: datetime, last: datetime | None, rules: RiskRules, chunk: int = 1000
) -> int:
    """One pass: residents whose arrival from a risk area was received since `last` (arrivals
    come as Core inserts no session event sees; the first pass takes the whole window), those
    whose evidence disagrees with the records (written where no session event saw them), then
    statuses past their `changes_at`. Commits every `chunk` residents (pass a session of its
    own) so no transaction runs long. Returns how many residents it recomputed."""
    today = now.date() + timedelta(days=1)  # a local day may be ahead of the UTC one
    areas = set(db.scalars(select(RiskArea.region_code).where(RiskArea.starts_on <= today)))
    arrived = arrivals_from(db, areas, now=now, rules=rules, received_after=last) if areas else []
    todo = sorted(set(arrived) | set(consistency.drifted(db, now=now, rules=rules)))
    done = 0
    for start in range(0, len(todo), chunk):
        status.recompute(db, todo[start : start + chunk], now=now, rules=rules)
        db.commit()
        done += len(todo[start : start + chunk])
    while stale := status.stale_residents(db, now=now, limit=chunk):
        status.recompute(db, stale, now=now, rules=rules)
        db.commit()
        done += len(stale)
    return done


class RiskStatusSweeper(PeriodicWorker):
    """A daemon thread running `sweep` every `interval_seconds` (first after one interval)."""

    def __init__(
        self, sessions: Callable[[], Session], *, interval_seconds: float, rules: RiskRules
    ) -> None:
        super().__init__(
            name="risk-status-sweep",
            interval_seconds=interval_seconds,
            first_pass_at_start=False,
            stop_timeout=30.0,
        )
        self.sessions = sessions
        self.rules = rules
        self.last: datetime | None = None

    def tick(self) -> None:
        now = utcnow()
        try:
            with self.sessions() as db:
                sweep(db, now=now, last=self.last, rules=self.rules)
            self.last = now
        except Exception:  # a failed pass is retried at the next interval
            logger.exception("risk-status sweep failed")


def start_risk_status_sweeper(
    sessions: Callable[[], Session], *, interval_seconds: float, rules: RiskRules
) -> RiskStatusSweeper | None:
    """Apply the deployment's rules in this process and, unless the interval is 0, sweep."""
    use(rules)
    if interval_seconds <= 0:
        return None
    return RiskStatusSweeper(sessions, interval_seconds=interval_seconds, rules=rules).start()

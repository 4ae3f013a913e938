"""Retention of movement records: the purge of expired days, and a scheduler that runs it."""

from __future__ import annotations

import logging
import shutil
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, select, text
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import InvalidInput
from epicontrol.core.periodic import PeriodicWorker
from epicontrol.movements import rules
from epicontrol.movements.models import Movement, TemperatureAlert

# Rows deleted per transaction: on SQLite a chunk holds the one write lock for well under a
# second, so checkpoint scans keep being stored while a month of records is purged.
PURGE_CHUNK_ROWS = 20_000
# Several uvicorn workers each run a scheduler; on PostgreSQL one of them purges at a time.
PURGE_LOCK_KEY = zlib.crc32(b"epicontrol.movements.retention")
PARTITION_PREFIX = "day="

logger = logging.getLogger(__name__)
_movements: Any = Movement.__table__
_alerts: Any = TemperatureAlert.__table__


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """What a purge with this window would delete now."""

    cutoff: date
    movements: int
    alerts: int
    partitions: tuple[date, ...]

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to delete."""
        return not (self.movements or self.alerts or self.partitions)


@dataclass(frozen=True, slots=True)
class PurgeSummary:
    """What a purge deleted: records whose day is before `cutoff`."""

    cutoff: date
    movements: int
    alerts: int
    partitions: tuple[date, ...]
    is_complete: bool  # false when asked to stop between chunks; a rerun deletes the rest


def retention_cutoff(now: datetime, older_than_days: int) -> date:
    """The first day kept: records of earlier days (UTC) are expired.

    The day exactly `older_than_days` ago is kept, so every scan that ingest still accepts
    (rules.MAX_OFFLINE_AGE) survives the purge that follows it.
    """
    if older_than_days < 1:
        raise InvalidInput(
            f"a retention window of {older_than_days} days would delete today's records; "
            "give at least 1 day"
        )
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    return now.astimezone(UTC).date() - timedelta(days=older_than_days)


def plan_purge(
    session: Session,
    *,
    older_than_days: int = rules.RETENTION_DAYS,
    now: datetime,
    export_dir: Path | None = None,
) -> PurgePlan:
    """Count what `purge` would delete (for a confirmation prompt); deletes nothing."""
    cutoff = retention_cutoff(now, older_than_days)
    expired = _movements.c.day < cutoff
    movements = session.scalar(select(func.count()).select_from(_movements).where(expired))
    alerts = session.scalar(
        select(func.count())
        .select_from(_alerts.join(_movements, _alerts.c.movement_id == _movements.c.id))
        .where(expired)
    )
    partitions = expired_partitions(export_dir, cutoff) if export_dir else ()
    return PurgePlan(cutoff, movements or 0, alerts or 0, partitions)


def purge(
    session: Session,
    *,
    older_than_days: int = rules.RETENTION_DAYS,
    now: datetime,
    actor: Principal | str | None,
    export_dir: Path | None = None,
    purpose: str = "retention window",
    chunk_rows: int = PURGE_CHUNK_ROWS,
    should_stop: Callable[[], bool] | None = None,
) -> PurgeSummary:
    """Delete movements whose day is before the window, their alerts, and expired partitions
    of `export_dir`; audit it as one "purge" entry.

    Commits `session` after each chunk of `chunk_rows` movements (pass a session of its own),
    so a purge never holds SQLite's write lock for long. It is restartable: the rows it picks
    are expired whatever happens, so an interrupted purge has only deleted some of them and the
    next run deletes the rest. The audit entry, with exact counts, is committed after the last
    chunk; a purge killed before then leaves its committed chunks unaudited.
    """
    cutoff = retention_cutoff(now, older_than_days)
    movements = alerts = 0
    after: int | None = None
    is_complete = True
    while True:
        if should_stop is not None and should_stop():
            is_complete = False
            break
        upper = _chunk_upper_id(session, cutoff, after, chunk_rows)
        if upper is None:
            break
        in_chunk = _expired_between(cutoff, after, upper)
        conn = session.connection()
        # Alerts first and explicitly: counted for the audit, and not left to ON DELETE CASCADE,
        # which SQLite only honours on connections that switched foreign keys on.
        alerts += conn.execute(
            delete(_alerts).where(
                _alerts.c.movement_id.in_(select(_movements.c.id).where(in_chunk))
            )
        ).rowcount
        movements += conn.execute(delete(_movements).where(in_chunk)).rowcount
        session.commit()
        after = upper
    partitions = _remove_partitions(export_dir, cutoff) if export_dir and is_complete else ()
    if movements or alerts or partitions:
        audit.record(
            session,
            actor=actor,
            action="purge",
            entity="movement",
            purpose=purpose,
            detail={
                "cutoff": cutoff.isoformat(),
                "window_days": older_than_days,
                "movements": movements,
                "temperature_alerts": alerts,
                "partitions": [day.isoformat() for day in partitions],
                "complete": is_complete,
            },
        )
        session.commit()
    return PurgeSummary(cutoff, movements, alerts, partitions, is_complete)


def _chunk_upper_id(session: Session, cutoff: date, after: int | None, limit: int) -> int | None:
    """The largest id among the next `limit` expired movements after `after`, by id."""
    ids = select(_movements.c.id).where(_movements.c.day < cutoff)
    if after is not None:
        ids = ids.where(_movements.c.id > after)
    # Walking the primary key from `after` keeps each chunk's cost proportional to its size:
    # expired rows have the oldest ids, and deleted ones are never scanned again.
    chunk = ids.order_by(_movements.c.id).limit(limit).subquery()
    upper: int | None = session.scalar(select(func.max(chunk.c.id)))
    return upper


def _expired_between(cutoff: date, after: int | None, upper: int) -> Any:
    condition = and_(_movements.c.day < cutoff, _movements.c.id <= upper)
    return condition if after is None else and_(condition, _movements.c.id > after)


def expired_partitions(export_dir: Path, cutoff: date) -> tuple[date, ...]:
    """Days exported under `export_dir/movements/` that are before `cutoff`, oldest first."""
    root = export_dir / "movements"
    if not root.is_dir():
        return ()
    days = []
    for folder in root.glob(f"{PARTITION_PREFIX}*"):
        try:
            day = date.fromisoformat(folder.name.removeprefix(PARTITION_PREFIX))
        except ValueError:
            continue  # not one of ours
        if folder.is_dir() and day < cutoff:
            days.append(day)
    return tuple(sorted(days))


def _remove_partitions(export_dir: Path, cutoff: date) -> tuple[date, ...]:
    # The exported copies hold the same pseudonymous movements: the window applies to them too.
    days = expired_partitions(export_dir, cutoff)
    for day in days:
        shutil.rmtree(export_dir / "movements" / f"{PARTITION_PREFIX}{day.isoformat()}")
    return days


class RetentionScheduler(PeriodicWorker):
    """A daemon thread that purges expired movements at start and then every interval."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        interval_seconds: float,
        window_days: int,
        export_dir: Path | None = None,
    ) -> None:
        if interval_seconds <= 0:
            raise InvalidInput("the purge interval must be positive")
        retention_cutoff(utcnow(), window_days)  # refuses a bad window now, not in the thread
        super().__init__(
            name="epicontrol-retention", interval_seconds=interval_seconds, stop_timeout=30.0
        )
        self.window_days = window_days
        self.export_dir = export_dir
        self.runs = 0
        self.last_summary: PurgeSummary | None = None
        self._sessions = sessions

    def run_once(self) -> PurgeSummary | None:
        """One purge, or None when another worker holds the purge or it failed (logged)."""
        try:
            with self._sessions() as session, _only_one_purger(session) as is_ours:
                if not is_ours:
                    return None
                summary = purge(
                    session,
                    older_than_days=self.window_days,
                    now=utcnow(),
                    actor="retention-scheduler",
                    export_dir=self.export_dir,
                    purpose="retention scheduler",
                    should_stop=lambda: self.stopping,
                )
        except Exception as error:  # the next interval retries; the server must not die of it
            self.last_error = error
            logger.exception("retention purge failed")
            return None
        self.last_summary = summary
        if summary.movements or summary.partitions:
            logger.info(
                "purged %d movements, %d alerts and %d partitions before %s",
                summary.movements,
                summary.alerts,
                len(summary.partitions),
                summary.cutoff,
            )
        return summary

    def tick(self) -> None:
        self.run_once()
        self.runs += 1


def start_retention_scheduler(
    sessions: Callable[[], Session],
    *,
    interval_seconds: float,
    window_days: int = rules.RETENTION_DAYS,
    export_dir: Path | None = None,
) -> RetentionScheduler:
    """Start purging every `interval_seconds` with sessions from `sessions` (app.state.sessions);
    call `.stop()` on the handle at shutdown. Safe in every worker of a multi-worker server."""
    return RetentionScheduler(
        sessions, interval_seconds=interval_seconds, window_days=window_days, export_dir=export_dir
    ).start()


@contextmanager
def _only_one_purger(session: Session) -> Iterator[bool]:
    """On PostgreSQL, whether this process won the purge lock (held until the block ends);
    elsewhere always true: SQLite runs one writer at a time and purges are idempotent."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        yield True
        return
    # A session-level advisory lock on a connection of its own: the purge's chunk commits
    # must not release it. If the process dies, PostgreSQL drops the lock with the connection.
    with engine.connect() as conn:
        is_ours = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": PURGE_LOCK_KEY}))
        conn.commit()  # not idle in transaction while the purge runs
        try:
            yield is_ours
        finally:
            if is_ours:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK_KEY})
                conn.commit()

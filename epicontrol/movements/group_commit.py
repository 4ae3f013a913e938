"""Group commit of single checkpoint scans.

Each single scan used to be its own transaction: a commit (an fsync) and six round trips per
scan. Here a writer thread takes every scan waiting, stores them in one transaction, commits,
and only then answers each waiting request -- so a 2xx still means committed. Under light load a
group is one scan (no added latency); under heavy load groups grow while the previous one
commits, and the cost per scan falls.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.movements import ingest_sql
from epicontrol.movements.ingest import (
    Accepted,
    DeviceContext,
    ScanResult,
    holder_problem,
    refusal,
    results_of,
    store_accepted,
)
from epicontrol.movements.schemas import ScanIn

# Single scans waiting when a group starts are committed together, at most this many at once.
MAX_GROUP = 2_000
# The writer thread ends after this long without scans; the next scan starts a new one.
WRITER_IDLE_SECONDS = 5.0
# Writer threads (and database connections) per process. One: most of a group's cost is per
# group (the colour query, the commit), and on 2 cores a second lane halved the groups and
# doubled the CPU per scan on PostgreSQL (bench/RESULTS.md).
WRITER_LANES = 1

# SQLite: how often a writer lane checkpoints the WAL itself (see _checkpoint_now_and_then).
CHECKPOINT_SECONDS = 0.5

Outcome = ScanResult | Exception


@dataclass(slots=True)
class _Pending:
    """A checked single scan waiting for a writer, and the future its request awaits (made in
    the request's event loop, which must be running)."""

    device: DeviceContext
    scan: ScanIn
    pass_id: str
    problem: str | None
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)
    future: asyncio.Future[ScanResult] = field(init=False)
    outcome: Outcome | None = None

    def __post_init__(self) -> None:
        self.future = self.loop.create_future()


class ScanWriter:
    """Group commit of single scans, in WRITER_LANES lanes per process.

    A scan goes to the lane of its place, so the scans of one gate are stored in order by one
    thread (a person's in/out alternation at a gate stays consistent); while one lane waits
    for its commit, another can store its group.
    """

    def __init__(self, sessions: Callable[[], Session], lanes: int | None = None) -> None:
        self._lanes = [_Lane(sessions) for _ in range(lanes or WRITER_LANES)]

    async def record(
        self, device: DeviceContext, scan: ScanIn, pass_id: str, problem: str | None
    ) -> ScanResult:
        """Queue a scan checked by check_single; returns once it is committed, or raises why
        it was refused."""
        lane = self._lanes[device.place_id % len(self._lanes)]
        return await lane.record(_Pending(device, scan, pass_id, problem))


class _Lane:
    """One writer thread: takes every scan waiting, stores them in one transaction, commits,
    and only then answers each request. Under light load a group is one scan (no added
    latency); under heavy load groups grow while the previous one commits."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self._engine: Engine = sessions.kw["bind"]  # type: ignore[attr-defined]  # sessionmaker
        self._connection: Connection | None = None
        self._turn = WriterTurn(self._engine)
        self._checkpointed_at = 0.0
        self._checkpointer: threading.Thread | None = None
        self._waiting: list[_Pending] = []
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._running = False

    async def record(self, pending: _Pending) -> ScanResult:
        with self._lock:
            self._waiting.append(pending)
            if self._running:
                self._work.notify()
            else:
                self._running = True
                threading.Thread(target=self._run, name="scan-writer", daemon=True).start()
        return await pending.future

    def _run(self) -> None:
        try:
            while self._scans_waiting():
                # The group is taken once it is this lane's turn to write, so that the scans
                # arriving while another process held SQLite's write lock join it.
                with self._turn:
                    group = self._take_group()
                    self._commit(group)
                _settle(group)
                self._checkpoint_now_and_then()
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            with self._lock:  # also when this thread dies: the next scan starts another
                self._running = False

    def _scans_waiting(self) -> bool:
        """Wait for a scan; False (and the thread ends) after WRITER_IDLE_SECONDS without."""
        with self._lock:
            if not self._waiting:
                self._work.wait(WRITER_IDLE_SECONDS)
            if not self._waiting:
                self._running = False
                return False
            return True

    def _take_group(self) -> list[_Pending]:
        with self._lock:
            group = self._waiting[:MAX_GROUP]
            del self._waiting[:MAX_GROUP]
            return group

    def _session(self) -> Session:
        """A session on this lane's own connection: kept from group to group, it spares each
        group a pool checkout, its ping (PostgreSQL) and its reset on return."""
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = self._engine.connect()
            if self._turn.is_sqlite_file:
                # Checkpoints are this lane's, after it has answered (below), not the commit's.
                # On the driver: a statement through SQLAlchemy would begin a transaction that
                # the session would then join instead of committing its own.
                self._driver().execute("PRAGMA wal_autocheckpoint=0")
        return Session(bind=self._connection, expire_on_commit=False)

    def _driver(self) -> Any:
        assert self._connection is not None
        return self._connection.connection.driver_connection

    def _checkpoint_now_and_then(self) -> None:
        """SQLite: copy the WAL back into the database every CHECKPOINT_SECONDS, PASSIVE (it
        does not hold the write lock, so the writers go on meanwhile). Left
        to SQLite, the commit that crossed 1,000 WAL pages did it, fsync included, while its
        process held the writers' turn and every scan of both processes waited."""
        if not self._turn.is_sqlite_file or self._connection is None:
            return
        if time.monotonic() - self._checkpointed_at < CHECKPOINT_SECONDS:
            return
        if self._checkpointer is not None and self._checkpointer.is_alive():
            return
        self._checkpointed_at = time.monotonic()
        # In a thread of its own: its fsync would hold up this lane's next group.
        self._checkpointer = threading.Thread(
            target=_checkpoint, args=(self._engine,), name="wal-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _commit(self, group: list[_Pending]) -> None:
        try:
            with self._session() as db:
                outcomes = _store_group(db, group, utcnow())
                db.commit()  # durable before any request of the group hears back
        except Exception as error:
            if self._connection is not None:  # a broken connection is not used again
                self._connection.invalidate()
                self._connection = None
            if len(group) == 1:
                group[0].outcome = error
                return
            # A failure must not fail scans that were grouped with the culprit by chance:
            # each one is tried again alone, so only the culprit gets the error.
            for pending in group:
                self._commit([pending])
            return
        for pending, outcome in zip(group, outcomes, strict=True):
            pending.outcome = outcome


def _checkpoint(engine: Engine) -> None:
    with contextlib.suppress(Exception), engine.connect() as connection:  # busy: next time
        driver: Any = connection.connection.driver_connection
        driver.execute("PRAGMA wal_checkpoint(PASSIVE)")


class WriterTurn:
    """The writers of every process serving one SQLite file take turns by an flock on a file
    beside it. Why: SQLite lets one writer in at a time, and one kept waiting polls for the
    lock, sleeping 1, 2, 5, 10 ... ms between tries (its busy handler), so its scans wait
    longer than the lock is held; the kernel wakes an flock waiter when the lock is released.
    Nothing on PostgreSQL (rows are locked, not the database) or an in-memory SQLite."""

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._path = f"{database}.scan-writer" if database and database != ":memory:" else None
        self.is_sqlite_file = self._path is not None
        self._fd: int | None = None

    def __enter__(self) -> None:
        if self._path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # released by the kernel if the process dies

    def __exit__(self, *_exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _store_group(db: Session, group: list[_Pending], now: datetime) -> list[Outcome | None]:
    """Each scan of the group stored as its own request would have been, in one transaction."""
    sql = ingest_sql.Statements(db)
    found = ingest_sql.pass_holders(sql, [pending.pass_id for pending in group])
    outcomes: list[Outcome | None] = []
    accepted: list[Accepted] = []
    positions: list[int] = []  # where each accepted scan's outcome goes
    for index, pending in enumerate(group):
        scan = pending.scan
        errors = [pending.problem] if pending.problem else []
        problem = holder_problem(found, pending.pass_id)
        if problem:
            errors.append(f"scan 0 ({scan.uuid}): {problem}")
        outcomes.append(refusal(errors) if errors else None)  # None: filled in once stored
        if not errors:
            holder = found[pending.pass_id]
            device = pending.device
            accepted.append(
                Accepted(scan, str(scan.uuid), device, holder.resident_id, holder.name_masked)
            )
            positions.append(index)
    if not accepted:
        return outcomes
    results = results_of(db, accepted, store_accepted(sql, accepted, now))
    answered: set[str] = set()
    for index, result in zip(positions, results, strict=True):
        if result.uuid in answered:  # the same uuid twice in a group: the later one is a retry
            result = replace(result, stored=False, temperature_alert=False)
        answered.add(result.uuid)
        outcomes[index] = result
    _audit_group(sql, [(group[i].device, outcomes[i]) for i in positions], now)
    return outcomes


def _audit_group(
    sql: ingest_sql.Statements, stored: list[tuple[DeviceContext, Outcome | None]], now: datetime
) -> None:
    """One audit entry per commit, its detail counting scans and stores per device.

    An entry per request (as a batch has) was a quarter of the server's CPU at 1,000 scans a
    second -- devices send one scan at a time, so an entry per device was one per scan too --
    and the movements themselves record their device and when they were received.
    """
    by_device: dict[str, list[int]] = {}
    for device, result in stored:
        counts = by_device.setdefault(str(device.device_id), [0, 0])
        counts[0] += 1
        counts[1] += isinstance(result, ScanResult) and result.stored
    first = stored[0][0]
    alone = len(by_device) == 1  # then worded as a batch from that device is
    ingest_sql.insert_ingest_audit(
        sql,
        now=now,
        entity_id=first.device_id if alone else None,
        purpose=f"checkpoint {first.name}" if alone else f"checkpoints ({len(by_device)})",
        detail={
            "scans": len(stored),
            "stored": sum(stored for _, stored in by_device.values()),
            "devices": by_device,  # device id: [scans, stored]
        },
    )


def _settle(group: list[_Pending]) -> None:
    """Hand each outcome to its request's event loop (futures are not thread-safe)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
    for pending in group:
        by_loop.setdefault(pending.loop, []).append(pending)
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, settled)


def _resolve(settled: list[_Pending]) -> None:
    for pending in settled:
        if pending.future.done():  # the request was cancelled (client gone)
            continue
        if isinstance(pending.outcome, ScanResult):
            pending.future.set_result(pending.outcome)
        else:
            pending.future.set_exception(pending.outcome or RuntimeError("scan not stored"))

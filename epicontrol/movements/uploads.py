"""Batch uploads: validated, landed whole (durable) and acknowledged, then moved into movements
by a background mover.

Why: storing a batch into movements is bounded by the store itself (every row updates the 9
indexes of movements: 22,500-34,400 rows/s by binary COPY on PostgreSQL with no HTTP at all),
while a device back online only needs to know that its scans are safe. Landing costs one row per
batch; the request's CPU is parsing and checking (~3 µs a scan, bench/RESULTS.md).

What an upload's answer promises: every scan passed the same checks as a batch's (signature,
known and unrevoked pass, plausible time and temperature; otherwise 422 and nothing landed) and
is durable; each will be stored in movements exactly once (a scan already stored, by an earlier
upload or a single scan with the same uuid, is skipped). It does not say the direction or the
colour, nor which scans were retries: directions are chosen from the person's previous record at
the gate when the upload is moved, in the order the scans happened, as for a batch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.periodic import PeriodicWorker
from epicontrol.health_code import passes
from epicontrol.movements import ingest, ingest_sql, rules, uploads_arrow
from epicontrol.movements.ingest import Accepted, DeviceContext
from epicontrol.movements.models import ScanUpload
from epicontrol.movements.schemas import ScanBatchIn, ScanIn

logger = logging.getLogger(__name__)
# The mover looks for uploads this often when nothing wakes it (an upload in another process).
MOVER_POLL_SECONDS = 0.5
# Niceness of the mover thread (Linux): acknowledging uploads comes first, moving them after.
MOVER_NICENESS = 10
# While this process is landing uploads, or any process landed one less than
# MOVER_QUIET_SECONDS ago, the movers wait (at most MOVER_MAX_DEFER_SECONDS between two moves):
# a burst of uploads is acknowledged at the rate of checking them, and moved at the store's
# rate once it is over. A mover moving meanwhile took the GIL from the requests of its process
# and a core from the other's (bench/RESULTS.md).
MOVER_QUIET_SECONDS = 0.2
MOVER_MAX_DEFER_SECONDS = 30.0
QUIET = timedelta(seconds=MOVER_QUIET_SECONDS)


@dataclass(frozen=True, slots=True)
class Landed:
    """An upload acknowledged: its id and how many scans it holds."""

    upload_id: int
    accepted: int


def land(
    db: Session,
    *,
    device: DeviceContext,
    scans: list[ScanIn],
    body: bytes,
    secret: str,
    now: datetime,
) -> Landed:
    """Check every scan as a batch's are checked (all or none: InvalidInput), then keep the
    body as sent; the caller commits before answering."""
    sql = ingest_sql.Statements(db)
    if not _all_pass(sql, scans, secret=secret, now=now):
        ingest.validate(sql, device, scans, secret=secret, now=now)  # words every error
    upload = ScanUpload(
        device_id=device.device_id,
        place_id=device.place_id,
        division_id=device.division_id,
        fixed_direction=device.fixed_direction,
        device_name=device.name,
        scans=len(scans),
        received_at=now,
        body=body,
    )
    db.add(upload)
    db.flush()
    return Landed(upload.id, len(scans))


def _all_pass(
    sql: ingest_sql.Statements, scans: list[ScanIn], *, secret: str, now: datetime
) -> bool:
    """Whether every scan passes ingest.validate's checks, checked per distinct pass and on
    the batch's extremes: ~0.3 µs a scan where validate's per-scan loop costs ~3 µs (a batch
    names ~2,000 passes in 10,000 scans). False when any fails; validate then words the errors.
    """
    try:
        pass_ids = {ingest.verified_pass_id(secret, code) for code in {s.code for s in scans}}
    except passes.InvalidPass:
        return False
    times = [scan.occurred_at for scan in scans]
    if max(times) > now + rules.MAX_CLOCK_SKEW or min(times) < now - rules.MAX_OFFLINE_AGE:
        return False
    temperatures = [scan.temperature for scan in scans if scan.temperature is not None]
    low, high = rules.PLAUSIBLE_TEMPERATURE
    if temperatures and not low <= min(temperatures) <= max(temperatures) <= high:
        return False
    found = ingest_sql.pass_holders(sql, list(pass_ids))
    return all(ingest.holder_problem(found, pass_id) is None for pass_id in pass_ids)


def move_one(db: Session, *, secret: str, now: datetime) -> int | None:
    """Move the oldest upload into movements, in the caller's transaction; returns the scans
    it held, or None if there was none. The upload is claimed by deleting it first: two movers
    (two processes) never move the same one, and a failure rolls the claim back."""
    upload = _claim_oldest(db)
    if upload is None:
        return None
    device = DeviceContext(
        device_id=upload.device_id,
        place_id=upload.place_id,
        division_id=upload.division_id,
        fixed_direction=upload.fixed_direction,
        name=upload.device_name,
    )
    if uploads_arrow.is_arrow(upload.body):
        scans = uploads_arrow.scans_of(upload.body)
    else:
        scans = ScanBatchIn.model_validate_json(upload.body).scans
    sql = ingest_sql.Statements(db)
    pass_ids = [ingest.verified_pass_id(secret, scan.code) for scan in scans]
    holders = ingest_sql.pass_holders(sql, pass_ids)
    # Checked when landed: a pass revoked since does not undo a scan made before. A pass whose
    # row is gone (its resident erased meanwhile) leaves nobody to record: that scan is dropped
    # rather than holding up every upload behind this one.
    accepted = [
        Accepted(scan, str(scan.uuid), device, holders[p].resident_id, holders[p].name_masked)
        for scan, p in zip(scans, pass_ids, strict=True)
        if p in holders
    ]
    if len(accepted) < len(scans):
        logger.warning(
            "upload %s: %d scans name passes no longer stored",
            upload.id,
            len(scans) - len(accepted),
        )
    stored = ingest.store_accepted(sql, accepted, now)
    stored_count = len(stored.inserted)
    ingest.audit_ingest(db, device, scans=len(scans), stored=stored_count, actor="upload-mover")
    return len(scans)


def _claim_oldest(db: Session) -> ScanUpload | None:
    sql = ingest_sql.Statements(db)
    skip_locked = " FOR UPDATE SKIP LOCKED" if sql.is_postgresql else ""
    sql.cursor.execute(
        "DELETE FROM scan_uploads WHERE id = (SELECT id FROM scan_uploads ORDER BY id LIMIT 1"
        f"{skip_locked}) RETURNING id, device_id, place_id, division_id, fixed_direction, "
        "device_name, scans, body"
    )
    row = sql.cursor.fetchone()
    if row is None:
        return None
    columns = ("id", "device_id", "place_id", "division_id", "fixed_direction", "device_name")
    upload = ScanUpload(**dict(zip(columns, row[:6], strict=True)), scans=row[6])
    upload.body = bytes(row[7])
    return upload


def move_pending(sessions: Callable[[], Session], *, secret: str) -> int:
    """Move every upload waiting, one transaction each; returns the scans moved."""
    moved = 0
    while True:
        with sessions() as db:
            count = move_one(db, secret=secret, now=utcnow())
            if count is None:
                return moved
            db.commit()
        moved += count


class _Landings:
    """Uploads being landed in this process now, and when the last one ended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_progress = 0
        self.last_ended = 0.0

    def __enter__(self) -> None:
        with self._lock:
            self.in_progress += 1

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self.in_progress -= 1
            self.last_ended = time.monotonic()

    def busy(self) -> bool:
        return self.in_progress > 0 or time.monotonic() - self.last_ended < MOVER_QUIET_SECONDS


landing = _Landings()


class UploadMover(PeriodicWorker):
    """The background thread of a serving process that moves uploads into movements."""

    def __init__(self, sessions: Callable[[], Session], *, secret: str) -> None:
        super().__init__(
            name="upload-mover", interval_seconds=MOVER_POLL_SECONDS, stop_timeout=30.0
        )
        self._sessions = sessions
        self._secret = secret
        self._last_move = time.monotonic()

    def start(self) -> UploadMover:
        _movers.add(self)
        return super().start()

    def stop(self, timeout: float | None = None) -> None:
        _movers.discard(self)
        super().stop(timeout)

    def on_thread_start(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # Linux: per-thread niceness
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), MOVER_NICENESS)
        self._last_move = time.monotonic()

    def tick(self) -> float | None:
        """Move one upload: again at once after one, else at the next poll; while uploads are
        landing, wait (up to MOVER_MAX_DEFER_SECONDS) so as not to compete with them."""
        deferred = time.monotonic() - self._last_move < MOVER_MAX_DEFER_SECONDS
        if deferred and (landing.busy() or self._landed_lately()):
            return 0.05
        try:
            moved = self._move_one()
        except Exception:  # the upload stays landed; tried again at the next poll
            logger.exception("moving scan uploads failed")
            moved = False
        self._last_move = time.monotonic()
        return 0 if moved else None

    def _landed_lately(self) -> bool:
        """Whether any process landed an upload in the last MOVER_QUIET_SECONDS."""
        with self._sessions() as db:
            newest = db.scalar(select(func.max(ScanUpload.received_at)))
        return newest is not None and utcnow() - newest < QUIET

    def _move_one(self) -> bool:
        with self._sessions() as db:
            if move_one(db, secret=self._secret, now=utcnow()) is None:
                return False
            db.commit()
            return True


_movers: set[UploadMover] = set()


def wake_movers() -> None:
    """An upload was landed in this process: its movers start at once."""
    for mover in list(_movers):
        mover.wake()


def start_upload_mover(sessions: Callable[[], Session], *, secret: str) -> UploadMover:
    """Start the mover of this process (the app's lifespan stops it)."""
    return UploadMover(sessions, secret=secret).start()

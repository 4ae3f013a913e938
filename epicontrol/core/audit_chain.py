"""Sealing the audit log into a hash chain, and verifying the chain.

`audit.record()` only inserts a row, inside the caller's transaction, and takes no lock: a
request never waits for another request's audit entry. Sealing happens afterwards, in a short
transaction of its own (the background sealer, `epicontrol audit verify`, POST /api/audit/verify):
unsealed entries are taken in id order and each gets the next link of the chain,

    hash(seq) = HMAC-SHA256(key, hash(seq - 1) || canonical(entry))

keyed by the deployment secret, so that someone with write access to the database but without
the secret cannot rebuild a consistent chain after editing it. An entry whose transaction
commits late (its id below the head's) is simply sealed by a later pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from epicontrol.core.audit_chain_models import AuditSeal
from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry

GENESIS = "0" * 64
SEAL_BATCH = 5_000
# The background sealer looks back this many ids below the head for entries that committed
# late; a full pass (lookback=None, as verification does) finds any older straggler.
LOOKBACK_IDS = 50_000
# One sealer at a time on PostgreSQL (a transaction-level advisory lock, held for a batch).
SEAL_LOCK_KEY = 0x45_41_55_44  # "EAUD"

_log: Any = AuditEntry.__table__
_chain: Any = AuditSeal.__table__
_ENTRY_COLUMNS = (
    "id",
    "at",
    "actor_user_id",
    "actor",
    "actor_role",
    "action",
    "entity",
    "entity_id",
    "purpose",
    "outcome",
    "detail",
)

Progress = Callable[[int, int], None]


def chain_key(secret: str) -> bytes:
    """The HMAC key of the chain, derived from the deployment secret (never stored)."""
    return hmac.new(secret.encode(), b"epicontrol/audit-chain/v1", hashlib.sha256).digest()


def canonical(entry: Any) -> bytes:
    """One audit entry as bytes that depend on every column and on nothing else."""
    values = [getattr(entry, name) for name in _ENTRY_COLUMNS]
    values[1] = values[1].isoformat(timespec="microseconds")
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def link_hash(key: bytes, prev_hash: str, entry: Any) -> str:
    """The hash of the link that seals `entry` after the link `prev_hash`."""
    return hmac.new(key, prev_hash.encode() + canonical(entry), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    """The newest link: publish it (`epicontrol audit head`) to detect a truncated chain."""

    seq: int
    entry_id: int
    hash: str


def head(db: Session) -> Head | None:
    """The newest seal, or None before the first."""
    row = db.execute(
        select(_chain.c.seq, _chain.c.entry_id, _chain.c.hash)
        .order_by(_chain.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else Head(row.seq, row.entry_id, row.hash)


def seal(
    db: Session, *, key: bytes, limit: int = SEAL_BATCH, lookback: int | None = LOOKBACK_IDS
) -> int:
    """Seal up to `limit` unsealed entries in id order; returns how many (the caller commits,
    and calls again while it returns `limit`)."""
    return _seal_batch(db, key, limit, lookback, floor=None)[0]


def seal_all(db: Session, *, key: bytes, lookback: int | None = None, retries: int = 3) -> int:
    """Seal every committed entry, committing after each batch; returns how many.

    Pass a session with no pending work: a batch that collides with another process's sealer
    (SQLite has no advisory lock) is rolled back and retried from the new head.
    """
    total = 0
    floor: int | None = None  # after a full batch, everything unsealed is above its last id
    while True:
        try:
            sealed, last_id = _seal_batch(db, key, SEAL_BATCH, lookback, floor)
            db.commit()
        except (IntegrityError, OperationalError):
            db.rollback()
            retries -= 1
            if retries < 0:
                raise
            continue
        total += sealed
        if sealed < SEAL_BATCH:
            return total
        floor = last_id


def _seal_batch(
    db: Session, key: bytes, limit: int, lookback: int | None, floor: int | None
) -> tuple[int, int | None]:
    """Seal one batch; returns how many and the highest entry id sealed."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY})
    last = head(db)
    entries = _unsealed(db, last, limit, lookback, floor)
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    links = []
    now = utcnow()
    for entry in entries:
        seq += 1
        digest = link_hash(key, prev, entry)
        links.append(
            {"seq": seq, "entry_id": entry.id, "prev_hash": prev, "hash": digest, "sealed_at": now}
        )
        prev = digest
    if links:
        db.execute(insert(_chain), links)
    return len(links), entries[-1].id if entries else None


def _unsealed(
    db: Session, last: Head | None, limit: int, lookback: int | None, floor: int | None
) -> Sequence[Row[Any]]:
    query = (
        select(*(_log.c[name] for name in _ENTRY_COLUMNS))
        .outerjoin(_chain, _chain.c.entry_id == _log.c.id)
        .where(_chain.c.seq.is_(None))
        .order_by(_log.c.id)
        .limit(limit)
    )
    if last is not None and lookback is not None:
        query = query.where(_log.c.id > last.entry_id - lookback)
    if floor is not None:
        query = query.where(_log.c.id > floor)
    return db.execute(query).all()


@dataclass(frozen=True, slots=True)
class Problem:
    """The first place where the chain and the log disagree."""

    kind: str  # edited | deleted_entry | deleted_seal | broken_link | truncated
    seq: int
    entry_id: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of checking the whole chain."""

    checked: int
    unsealed: int
    head: Head | None
    problem: Problem | None

    @property
    def is_intact(self) -> bool:
        """Whether every sealed entry is present and unchanged."""
        return self.problem is None


def verify(
    db: Session,
    *,
    key: bytes,
    expected_head: tuple[int, str] | None = None,
    on_progress: Progress | None = None,
    batch: int = SEAL_BATCH,
) -> Verification:
    """Walk the chain from its start and stop at the first problem; reads only."""
    total = db.scalar(select(func.count()).select_from(_chain)) or 0
    walk = _Walk(key)
    while walk.problem is None:
        rows = _links_after(db, walk.seq, batch)
        for row in rows:
            if not walk.step(row):
                break
        if on_progress is not None:
            on_progress(walk.checked, total)
        if len(rows) < batch:
            break
    last = head(db)
    problem = walk.problem or _check_expected_head(db, expected_head, last)
    return Verification(walk.checked, _count_unsealed(db), last, problem)


def _links_after(db: Session, seq: int, batch: int) -> Sequence[Row[Any]]:
    entry_columns = [_log.c[name] for name in _ENTRY_COLUMNS]
    return db.execute(
        select(
            _chain.c.seq,
            _chain.c.entry_id,
            _chain.c.prev_hash,
            _chain.c.hash.label("seal_hash"),
            *entry_columns,
        )
        .outerjoin(_log, _log.c.id == _chain.c.entry_id)
        .where(_chain.c.seq > seq)
        .order_by(_chain.c.seq)
        .limit(batch)
    ).all()


class _Walk:
    """The state of a walk along the chain: the last good link."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.seq = 0
        self.prev = GENESIS
        self.checked = 0
        self.problem: Problem | None = None

    def step(self, row: Any) -> bool:
        self.problem = self._check(row)
        if self.problem is not None:
            return False
        self.seq, self.prev = row.seq, row.seal_hash
        self.checked += 1
        return True

    def _check(self, row: Any) -> Problem | None:
        if row.seq != self.seq + 1:
            return Problem(
                "deleted_seal",
                self.seq + 1,
                row.entry_id,
                f"seals {self.seq + 1}..{row.seq - 1} are missing (deleted); "
                f"the next seal is of entry {row.entry_id}",
            )
        if row.prev_hash != self.prev:
            return Problem(
                "broken_link",
                row.seq,
                row.entry_id,
                f"seal {row.seq} (entry {row.entry_id}) does not link to seal {self.seq}: "
                "a seal was changed, removed or reordered",
            )
        if row.id is None:
            return Problem(
                "deleted_entry",
                row.seq,
                row.entry_id,
                f"entry {row.entry_id}, sealed at {row.seq}, is missing (deleted)",
            )
        if not hmac.compare_digest(link_hash(self.key, self.prev, row), row.seal_hash):
            return Problem(
                "edited",
                row.seq,
                row.entry_id,
                f"entry {row.entry_id} does not match its seal {row.seq}: "
                "the entry (or the seal) was changed",
            )
        return None


def _check_expected_head(
    db: Session, expected: tuple[int, str] | None, last: Head | None
) -> Problem | None:
    if expected is None:
        return None
    seq, digest = expected
    stored = db.scalar(select(_chain.c.hash).where(_chain.c.seq == seq))
    if stored is None:
        return Problem(
            "truncated",
            seq,
            None,
            f"the published head {seq} is gone; the chain ends at {last.seq if last else 0}",
        )
    if stored != digest:
        return Problem("broken_link", seq, None, f"seal {seq} differs from the published head")
    return None


def _count_unsealed(db: Session) -> int:
    unsealed = (
        select(func.count())
        .select_from(_log.outerjoin(_chain, _chain.c.entry_id == _log.c.id))
        .where(_chain.c.seq.is_(None))
    )
    return db.scalar(unsealed) or 0

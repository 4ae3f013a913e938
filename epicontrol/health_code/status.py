"""Stored risk statuses: recomputing them from the rules, and reading them back (one query for
the colours a checkpoint shows)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from epicontrol.core.db import in_chunks, utcnow
from epicontrol.health_code import evaluate
from epicontrol.health_code.evaluate import Finding
from epicontrol.health_code.models import RiskEvidence, RiskStatus
from epicontrol.health_code.rules import Colour, RiskRules, active

# Session.info keys: residents to recompute before commit, and "statuses written".
DIRTY = "risk_status_dirty"
CHANGED = "risk_status_changed"
GREEN_REASON = "No record puts you at risk: green (绿码)"
_statuses: Any = RiskStatus.__table__
_evidence: Any = RiskEvidence.__table__


class _Generation:
    """A counter bumped whenever this process commits a status change: per-process caches of
    statuses (fast_path) drop what they hold when it moves."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.value += 1


generation = _Generation()


@dataclass(frozen=True, slots=True)
class Computed:
    """A resident's status as the rules give it now."""

    resident_id: int
    colour: Colour
    reason: str
    changes_at: datetime | None
    evidence: list[Finding]


def combine(resident_id: int, evidence: list[Finding], now: datetime) -> Computed:
    """The worst colour among the records that count now, with their reasons, worst first."""
    counting = sorted(
        (item for item in evidence if item.counts_at(now)),
        key=lambda item: (-item.colour, item.rule, item.source_id),
    )
    colour = max((item.colour for item in counting), default=Colour.GREEN)
    shown = [item.reason for item in counting if item.colour == colour]
    reason = "\n".join(shown) if colour != Colour.GREEN else GREEN_REASON
    if counting and colour == Colour.GREEN:  # a green override: say why the code is green
        reason = "\n".join(item.reason for item in counting)
    moments = [item.expires_at for item in evidence if item.expires_at is not None]
    moments += [item.overridden_until for item in evidence if item.overridden_until is not None]
    future = [moment for moment in moments if moment > now]
    return Computed(resident_id, colour, reason, min(future, default=None), evidence)


def recompute(
    db: Session,
    resident_ids: Iterable[int],
    *,
    now: datetime | None = None,
    rules: RiskRules | None = None,
) -> dict[int, Computed]:
    """Apply the rules to these residents and store each status with its evidence, in the
    caller's transaction. Set-based: a handful of statements per 900 residents."""
    now = now or utcnow()
    db.flush()  # the rules read what the transaction wrote so far
    found = evaluate.findings(db, resident_ids, now=now, rules=rules or active())
    # Everything they read is flushed: the commit need not recompute these residents again.
    db.info.get(DIRTY, set()).difference_update(found)
    computed = {resident: combine(resident, items, now) for resident, items in found.items()}
    if not computed:
        return computed
    ids = sorted(computed)
    # The status row first: its upsert locks the resident's row on PostgreSQL, so two
    # transactions recomputing one resident write their evidence one after the other.
    _upsert_statuses(db, [computed[r] for r in ids])
    for chunk in in_chunks(ids):
        db.execute(delete(_evidence).where(_evidence.c.resident_id.in_(chunk)))
    rows = [
        {
            "resident_id": item.resident_id,
            "rule": item.rule,
            "level": int(item.colour),
            "source_table": item.source_table,
            "source_id": item.source_id,
            "reason": item.reason[:400],
            "since": item.since,
            "expires_at": item.expires_at,
            "overridden_until": item.overridden_until,
        }
        for resident in ids
        for item in computed[resident].evidence
    ]
    if rows:
        db.execute(insert(_evidence), rows)
    db.info[CHANGED] = True
    return computed


def _upsert_statuses(db: Session, computed: list[Computed]) -> None:
    written_at = utcnow()
    from sqlalchemy.dialects import postgresql, sqlite

    is_postgresql = db.get_bind().dialect.name == "postgresql"
    dialect_insert: Any = postgresql.insert if is_postgresql else sqlite.insert
    rows = [
        {
            "resident_id": item.resident_id,
            "colour": item.colour.label,
            "reason": item.reason,
            # The wall clock at writing, not the rules' `now`: caches poll for rows written
            # lately (fast_path.py), so the stamp must be close to the commit.
            "computed_at": written_at,
            "changes_at": item.changes_at,
        }
        for item in computed
    ]
    for start in range(0, len(rows), 1000):
        statement = dialect_insert(_statuses)
        db.execute(
            statement.on_conflict_do_update(
                index_elements=["resident_id"],
                set_={
                    name: statement.excluded[name]
                    for name in ("colour", "reason", "computed_at", "changes_at")
                },
            ),
            rows[start : start + 1000],
        )


def _evidence_level(now: Any) -> Any:
    """SQL: the worst level among a status row's evidence that counts at `now` (0 if none)."""
    e = _evidence.c
    counting = and_(
        e.resident_id == _statuses.c.resident_id,
        or_(e.expires_at.is_(None), e.expires_at > now),
        or_(e.overridden_until.is_(None), e.overridden_until <= now),
    )
    return select(func.coalesce(func.max(e.level), 0)).where(counting).scalar_subquery().label("lv")


_LABELS = {int(colour): colour.label for colour in Colour}


def colours(
    db: Session, resident_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, str]:
    """The colour of each resident, from the stored statuses: ONE query per call. A status past
    its `changes_at` is not trusted: its colour comes from the evidence still counting (the
    sweep and the next read rewrite the row). A resident without a status is green."""
    wanted = list(dict.fromkeys(resident_ids))
    result = dict.fromkeys(wanted, Colour.GREEN.label)
    if not wanted:
        return result
    dialect = db.get_bind().dialect.name
    ids: object = wanted if dialect == "postgresql" else json.dumps(wanted)
    db.flush()  # the statement bypasses the ORM
    rows = db.connection().execute(_colour_query(dialect), {"now": now or utcnow(), "ids": ids})
    for resident, colour, stale_level in rows:
        result[resident] = colour if stale_level is None else _LABELS[stale_level]
    return result


# Scan ingest asks for colours once per group of scans: built once per dialect with bound
# parameters, the statement is compiled once too (building and compiling it on every call was
# ~45% of the scan writer's CPU, bench/RESULTS.md).
_COLOUR_QUERIES: dict[str, Any] = {}


def _colour_query(dialect: str) -> Any:
    query = _COLOUR_QUERIES.get(dialect)
    if query is None:
        s = _statuses.c
        now: BindParameter[datetime] = bindparam("now")
        fresh = or_(s.changes_at.is_(None), s.changes_at > now)
        level = case((fresh, literal(None)), else_=_evidence_level(now))
        if dialect == "postgresql":
            # One `= ANY(array)` however many residents (as passes.holders does).
            condition = s.resident_id == any_(bindparam("ids", type_=ARRAY(Integer)))
        else:
            # One JSON array parameter: no bound-parameter limit, one statement for any number.
            listed = func.json_each(bindparam("ids", type_=String)).table_valued("value")
            condition = s.resident_id.in_(select(listed.c.value))
        query = _COLOUR_QUERIES[dialect] = select(s.resident_id, s.colour, level).where(condition)
    return query


def stale_residents(db: Session, *, now: datetime, limit: int = 5000) -> list[int]:
    """Residents whose stored status has passed its `changes_at`: the sweep recomputes them."""
    query = (
        select(_statuses.c.resident_id)
        .where(_statuses.c.changes_at <= now)
        .order_by(_statuses.c.changes_at)
        .limit(limit)
    )
    return list(db.scalars(query))


def current(db: Session, resident_id: int, *, now: datetime | None = None) -> RiskStatus:
    """A resident's status, recomputed first if it is missing or has expired (recompute on
    read), so a reader never sees a colour the rules no longer give."""
    now = now or utcnow()
    status = db.get(RiskStatus, resident_id)
    if status is None or (status.changes_at is not None and status.changes_at <= now):
        recompute(db, [resident_id], now=now)
        db.flush()
        if status is not None:
            db.refresh(status)
        status = db.get(RiskStatus, resident_id)
    assert status is not None
    return status

"""The city's market flags, kept per process and reused while what they depend on is unchanged.

Computing the flags reads every report of the last two weeks into DuckDB (about a second at
20,000 reports), and the board, the seller page and the flags API each need them. A view first
reads a fingerprint of the flags' inputs, a handful of aggregates that every write the app makes
to those inputs changes (`fingerprint`), and reuses the flags computed under the same
fingerprint, rules and day; otherwise it computes them again. Freshness rests on the fingerprint
alone, never on telling a cache that something changed: each worker process keeps its own entry,
and a report written through another worker shows on the very next view of every one of them.

What the flags read, and the write that changes each (market/flags.py):
- reports (kind, product, price, seller, day seen, reporter): a new report raises their count and
  newest id; a merge moves reports to the seller kept (sum of seller ids); retention anonymises
  the reporter (count of reporters). Reports are never edited otherwise, nor deleted.
- sellers' divisions and the divisions' paths: sellers and divisions never move, so new rows
  (count, newest id) are the only change.
- ceilings: only ever added (count, newest id).
- cases: reports of a closed case do not flag again; every step of a case raises its version
  (sum of versions), and a case's reports are stored when it opens (their count).
- the day: the 7- and 14-day windows move with it, so it is part of the key, as are the rules.
The newest report's and ceiling's `created_at` tell a store emptied and refilled with the same
counts and ids (PostgreSQL's TRUNCATE ... RESTART IDENTITY, SQLite reusing a deleted last id)
from the one the flags came from.

The whole city's flags are kept and cut to each caller's subtree on every view
(`flags.in_scope`), so one district's flags never reach an inspector of another.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause

from epicontrol.divisions.models import Division
from epicontrol.market import flags
from epicontrol.market.models import (
    MarketCase,
    MarketCaseReport,
    MarketReport,
    MarketSeller,
    ReferencePrice,
)
from epicontrol.market.rules import FlagRules

# A process serves one store; tests and the benchmark open many, so keep a few, newest last.
STORES_KEPT = 4


@dataclass(frozen=True, slots=True)
class _Entry:
    rules: FlagRules
    today: date
    fingerprint: tuple[Any, ...]
    flags: tuple[flags.Flag, ...]


_entries: OrderedDict[str, _Entry] = OrderedDict()
_lock = threading.Lock()


def flags_for(db: Session, *, rules: FlagRules, today: date, scope_path: str) -> list[flags.Flag]:
    """The flags of sellers in the subtree `scope_path` on `today`, reused while unchanged."""
    store = _store(db)
    # Read before computing: a write committed in between then shows in the flags but not in
    # the fingerprint kept, so the next view computes again. Read after, such a write could be
    # in the fingerprint and missing from the flags, and stay missing until the next write.
    seen = fingerprint(db)
    with _lock:
        entry = _entries.get(store)
    if entry is None or (entry.rules, entry.today, entry.fingerprint) != (rules, today, seen):
        # Two views missing at once both compute; the flags are the same, and a lock here would
        # make every other board in the process wait for one computation.
        city = flags.compute_city(db, rules=rules, today=today)
        entry = _Entry(rules, today, seen, tuple(city))
        _remember(store, entry)
    return flags.in_scope(db, list(entry.flags), scope_path)


def fingerprint(db: Session) -> tuple[Any, ...]:
    """Aggregates of every input of the flags, in one statement (the module docstring says
    which write changes which)."""
    reports = select(
        func.count().label("reports"),
        func.max(MarketReport.id).label("newest_report"),
        func.sum(MarketReport.seller_id).label("report_sellers"),
        func.count(MarketReport.reporter_user_id).label("reporters"),
    ).subquery()
    sellers = select(func.count(), func.max(MarketSeller.id)).subquery()
    ceilings = select(func.count(), func.max(ReferencePrice.id)).subquery()
    cases = select(func.count(), func.sum(MarketCase.version)).subquery()
    case_reports = select(func.count()).select_from(MarketCaseReport).subquery()
    divisions = select(func.count(), func.max(Division.id)).subquery()
    parts = (reports, sellers, ceilings, cases, case_reports, divisions)
    joined: FromClause = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    statement = select(
        *parts,
        _newest(MarketReport.created_at, MarketReport.id),
        _newest(ReferencePrice.created_at, ReferencePrice.id),
    ).select_from(joined)
    return tuple(db.execute(statement).one())


def _newest(column: Any, key: Any) -> Any:
    """`column` of the row with the highest `key` (a seek on the primary key)."""
    return select(column).order_by(key.desc()).limit(1).scalar_subquery()


def clear() -> None:
    """Forget every kept computation (tests start from an empty cache with it)."""
    with _lock:
        _entries.clear()


def _remember(store: str, entry: _Entry) -> None:
    with _lock:
        _entries[store] = entry
        _entries.move_to_end(store)
        while len(_entries) > STORES_KEPT:
            _entries.popitem(last=False)


def _store(db: Session) -> str:
    """Which database the session reads (the password hidden)."""
    return str(db.get_bind().engine.url)

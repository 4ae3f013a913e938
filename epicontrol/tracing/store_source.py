"""One case traced straight from the operational store: only the movements that can matter are
read (through the movements' resident-time and place-time indexes), as Arrow tables in the
store export's event layout, and traced in an in-memory DuckDB.

Two passes, because the engine wants every visit at once and the secondary contacts' visits
are only known once the close contacts are: pass 1 reads the case's movements and everyone's
at those places and times, and finds the close contacts; pass 2 adds the close contacts'
movements from their first exposure until isolation and everyone's at those places and times,
and traces close and secondary contacts together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.movements.models import Movement
from epicontrol.people.models import Resident
from epicontrol.places.models import Place
from epicontrol.tracing import schema
from epicontrol.tracing.definitions import build
from epicontrol.tracing.engine import CONTACT_ISOLATIONS, trace
from epicontrol.tracing.engines import engine_for
from epicontrol.tracing.engines.base import Engine
from epicontrol.tracing.models import Contact
from epicontrol.tracing.rules import (
    DEFAULT_RULES,
    TracingRules,
    infectious_window,
    to_epoch_seconds,
)
from epicontrol.tracing.visits import FROM_EVENTS, PLACE_DWELL, PLACES, dwell_table

# The store export's layout (movements/export.MOVEMENT_SCHEMA), only the columns tracing reads.
EVENTS = pa.schema(
    [
        ("record_id", pa.int64()),
        ("kind", pa.string()),
        ("direction", pa.string()),
        ("resident_id", pa.int64()),
        ("place_id", pa.int64()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("train_number", pa.string()),
        ("carriage", pa.string()),
    ]
)
# Keeps each IN (...) and OR list of a query well under every driver's parameter limit.
CHUNK = 400

Period = tuple[int, int]  # (start_s, end_s)


def margin_s(rules: TracingRules) -> int:
    """How far outside a period a record can still shape a stay inside it: an "in" pairs with
    its "out" up to `max_stay` later, and a lone scan is stretched by its place's dwell."""
    longest_dwell = max([*rules.dwell_minutes_by_place_kind.values(), rules.default_dwell_minutes])
    return rules.max_stay_s + longest_dwell * 60


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


_EVENT_COLUMNS = (
    Movement.id,
    Movement.kind,
    Movement.direction,
    Movement.resident_id,
    Movement.place_id,
    Movement.occurred_at,
    Movement.train_number,
    Movement.carriage,
)


@dataclass
class StoreSlice:
    """The movements read so far (by id, so a record read twice counts once) and the people
    whose periods they cover."""

    db: Session
    margin_s: int
    events: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    people: set[int] = field(default_factory=set)

    def _read(self, condition: Any) -> list[tuple[Any, ...]]:
        query = select(*_EVENT_COLUMNS).where(condition, Movement.resident_id.is_not(None))
        rows: list[tuple[Any, ...]] = [tuple(row) for row in self.db.execute(query)]
        for row in rows:
            self.events[row[0]] = row
        return rows

    def add_people(self, periods: dict[int, Period]) -> None:
        """Read these residents' movements in their periods, then everyone's at the same places
        (and in the same train carriages) around the same times."""
        own: list[tuple[Any, ...]] = []
        for batch in _chunks(sorted(periods)):
            low = min(periods[r][0] for r in batch) - self.margin_s
            high = max(periods[r][1] for r in batch) + self.margin_s
            rows = self._read(
                and_(
                    Movement.resident_id.in_(batch),
                    Movement.occurred_at >= _at(low),
                    Movement.occurred_at <= _at(high),
                )
            )
            own += [row for row in rows if self._within(row, periods[row[3]])]
        self.people |= set(periods)
        self._read_co_located(own)

    def _within(self, row: tuple[Any, ...], period: Period) -> bool:
        at = int(row[5].timestamp())
        return period[0] - self.margin_s <= at <= period[1] + self.margin_s

    def _read_co_located(self, own: list[tuple[Any, ...]]) -> None:
        places: dict[int, list[int]] = {}
        trains: dict[tuple[str, str], list[int]] = {}
        for row in own:
            at = int(row[5].timestamp())
            places.setdefault(row[4], []).append(at)
            if row[6] and row[7]:
                trains.setdefault((row[6], row[7]), []).append(at)
        # One time range per place: a few stays there, usually within days of each other.
        for batch in _chunks(sorted(places.items())):
            self._read(or_(*(self._around(Movement.place_id == p, times) for p, times in batch)))
        for batch in _chunks(sorted(trains.items())):
            self._read(or_(*(self._on_train(key, times) for key, times in batch)))

    def _around(self, condition: Any, times: list[int]) -> Any:
        low, high = _at(min(times) - self.margin_s), _at(max(times) + self.margin_s)
        return and_(condition, Movement.occurred_at >= low, Movement.occurred_at <= high)

    def _on_train(self, key: tuple[str, str], times: list[int]) -> Any:
        # No index on train numbers: the day index narrows the scan to the days of the trip.
        low, high = _at(min(times) - self.margin_s), _at(max(times) + self.margin_s)
        return and_(
            Movement.day >= low.date(),
            Movement.day <= high.date(),
            Movement.train_number == key[0],
            Movement.carriage == key[1],
            Movement.occurred_at >= low,
            Movement.occurred_at <= high,
        )

    def events_table(self) -> pa.Table:
        """The movements read, in EVENTS layout."""
        rows = [self.events[key] for key in sorted(self.events)]
        return pa.table(
            {name: [row[i] for row in rows] for i, name in enumerate(EVENTS.names)}, schema=EVENTS
        )

    def places_table(self) -> pa.Table:
        """Kind of every place in the movements read (for dwell estimates)."""
        ids = sorted({row[4] for row in self.events.values()})
        found: list[tuple[int, str]] = []
        for batch in _chunks(ids):
            query = select(Place.id, Place.kind).where(Place.id.in_(batch))
            found += [(place, kind) for place, kind in self.db.execute(query)]
        return pa.table({"id": [f[0] for f in found], "kind": [f[1] for f in found]}, PLACES)

    def households_table(self) -> pa.Table:
        """Everyone sharing a household with the people traced so far."""
        homes: set[int] = set()
        for batch in _chunks(sorted(self.people)):
            homes |= set(
                self.db.scalars(
                    select(Resident.household_id).where(
                        Resident.id.in_(batch), Resident.household_id.is_not(None)
                    )
                )
            )
        members: list[tuple[int, int | None]] = []
        for batch in _chunks(sorted(homes)):
            query = select(Resident.id, Resident.household_id).where(
                Resident.household_id.in_(batch)
            )
            members += [(r, h) for r, h in self.db.execute(query)]
        return pa.table(
            {"resident_id": [m[0] for m in members], "household_id": [m[1] for m in members]},
            schema=schema.HOUSEHOLDS,
        )


def contact_isolations(db: Session, resident_ids: Iterable[int]) -> pa.Table:
    """When each of these residents was isolated as a case or quarantined as a contact."""
    found: dict[int, datetime] = {}
    for batch in _chunks(sorted(set(resident_ids))):
        queries = (
            select(Case.resident_id, func.min(Case.isolated_at))
            .where(Case.resident_id.in_(batch), Case.isolated_at.is_not(None))
            .group_by(Case.resident_id),
            select(Contact.contact_resident_id, func.min(Contact.quarantined_at))
            .where(Contact.contact_resident_id.in_(batch), Contact.quarantined_at.is_not(None))
            .group_by(Contact.contact_resident_id),
        )
        for query in queries:
            for resident, at in db.execute(query):
                moment = _aware(at)
                if resident not in found or moment < found[resident]:
                    found[resident] = moment
    residents = sorted(found)
    return pa.table(
        {
            "resident_id": residents,
            "isolated_at_s": [to_epoch_seconds(found[r]) for r in residents],
        },
        schema=CONTACT_ISOLATIONS,
    )


def _aware(value: datetime | str | None) -> datetime:
    # An aggregate loses the column type on SQLite: the value comes back as naive text (UTC).
    if value is None:
        raise ValueError("no isolation time")  # the queries select non-null times only
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _visits(engine: Engine, events: pa.Table, places: pa.Table, rules: TracingRules) -> pa.Table:
    """VISITS from event records, by the engine's own definitions (tracing/visits.py)."""
    engine.register("movements", events)
    engine.register("places", places)
    engine.register("dwell_estimates", dwell_table(rules))
    dwell = {"default_dwell_s": rules.default_dwell_s}
    engine.create_view("place_dwell", build(PLACE_DWELL, values=dwell), materialize=True)
    values = {**dwell, "max_stay_s": rules.max_stay_s}
    return engine.query(build(FROM_EVENTS, values=values))


def _close_periods(close: pa.Table, isolations: pa.Table, now_s: int) -> dict[int, Period]:
    """Each close contact from first exposure until isolated (or now): when they expose others."""
    isolated = dict(
        zip(
            isolations.column("resident_id").to_pylist(),
            isolations.column("isolated_at_s").to_pylist(),
            strict=True,
        )
    )
    periods: dict[int, Period] = {}
    for resident, start in zip(
        close.column("contact_resident_id").to_pylist(),
        close.column("overlap_start_s").to_pylist(),
        strict=True,
    ):
        first = min(start, periods.get(resident, (start, 0))[0])
        periods[resident] = (first, isolated.get(resident, now_s))
    return {r: p for r, p in periods.items() if p[1] > p[0]}


def case_windows(case: Case, *, now: datetime, rules: TracingRules) -> pa.Table:
    """CASE_WINDOWS of one case; ValueError if it has neither onset nor sampling date."""
    start_s, end_s = infectious_window(
        case.onset_date, case.sampling_date, case.isolated_at, now, rules=rules
    )
    return pa.table(
        {
            "case_id": [case.id],
            "resident_id": [case.resident_id],
            "window_start_s": [start_s],
            "window_end_s": [end_s],
        },
        schema=schema.CASE_WINDOWS,
    )


def trace_from_store(
    db: Session,
    case: Case,
    *,
    now: datetime,
    rules: TracingRules = DEFAULT_RULES,
    engine_name: str = "duckdb",
) -> pa.Table:
    """Close and secondary contacts of `case` (schema.CONTACTS) from the store as of `now`."""
    windows = case_windows(case, now=now, rules=rules)
    now_s = to_epoch_seconds(now)
    start_s = windows.column("window_start_s")[0].as_py()
    end_s = windows.column("window_end_s")[0].as_py()
    store = StoreSlice(db, margin_s(rules))
    store.add_people({case.resident_id: (start_s, end_s)})
    close_only = replace(rules, trace_secondary_contacts=False)
    found = _trace(engine_name, store, windows, close_only, now_s, None)
    if not rules.trace_secondary_contacts or found.num_rows == 0:
        return found
    close_ids = set(found.column("contact_resident_id").to_pylist())
    isolations = contact_isolations(db, close_ids)
    store.add_people(_close_periods(found, isolations, now_s))
    return _trace(engine_name, store, windows, rules, now_s, isolations)


def _trace(
    engine_name: str,
    store: StoreSlice,
    windows: pa.Table,
    rules: TracingRules,
    now_s: int,
    isolations: pa.Table | None,
) -> pa.Table:
    # A fresh in-memory engine per pass: nothing of the first pass lingers in the second.
    with engine_for(engine_name) as engine:
        visits = _visits(engine, store.events_table(), store.places_table(), rules)
        contacts = trace(
            engine,
            visits_source=visits,
            case_windows=windows,
            households=store.households_table(),
            rules=rules,
            now_s=now_s,
            contact_isolations=isolations,
        )
    return contacts.filter(pc.is_valid(contacts.column("contact_resident_id")))

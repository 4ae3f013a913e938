"""Visits held in memory, indexed by place and time and by resident, for a tracing service.

Built once (the cost is paid when movements arrive, not per case), then each query touches only
the places and times its sources visited: visits are sorted by (place, duration tier, start),
so the visits at a place that can overlap a source visit by `min_overlap_s` are one contiguous
range per tier, found by binary search. Tiers bound how far back a visit may start and still
reach the source: a 20-minute shopper and a 14-hour market stall-holder at the same market are
searched with their own longest stay, not the stall-holder's for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from epicontrol.tracing.definitions import build
from epicontrol.tracing.engine import read_households
from epicontrol.tracing.engines.duckdb import DuckDBEngine
from epicontrol.tracing.rules import HOUR, TracingRules
from epicontrol.tracing.visits import VisitsSource, register_visits

# Lower bounds of the duration tiers, in seconds (a visit falls in the last tier it reaches).
TIER_STARTS = np.array([0, HOUR, 4 * HOUR, 12 * HOUR], dtype=np.int64)
# The VISITS columns the index reads (place kinds went into the dwell estimates already).
INDEX_COLUMNS = ("resident_id", "place_id", "start_s", "end_s", "train_number", "carriage")
# Identifiers up to this bound index arrays directly; sparser ones are numbered first.
DIRECT_ID_LIMIT = 1 << 25

Int64s = np.ndarray


@dataclass(frozen=True, slots=True)
class DenseIds:
    """A map from external ids (residents, places) to 0..size-1, and back."""

    size: int
    # Sorted distinct ids, or None when an id is its own number (small non-negative ids).
    ids: Int64s | None

    @classmethod
    def of(cls, *arrays: Int64s) -> DenseIds:
        """Numbering for every id in the arrays."""
        values = [a for a in arrays if len(a)]
        if not values:
            return cls(0, None)
        low = min(int(a.min()) for a in values)
        high = max(int(a.max()) for a in values)
        if low >= 0 and high < DIRECT_ID_LIMIT:
            return cls(high + 1, None)
        ids = np.unique(np.concatenate(values))
        return cls(len(ids), ids)

    def dense(self, values: Int64s) -> Int64s:
        """Numbers of `values`; -1 for an id this map does not know."""
        values = np.asarray(values, dtype=np.int64)
        if self.ids is None:
            known = (values >= 0) & (values < self.size)
            return np.where(known, values, -1)
        if self.size == 0:
            return np.full(len(values), -1, dtype=np.int64)
        position = np.minimum(np.searchsorted(self.ids, values), self.size - 1)
        return np.where(self.ids[position] == values, position, -1)

    def external(self, numbers: Int64s) -> Int64s:
        """The ids of numbers from `dense`."""
        return numbers if self.ids is None else self.ids[numbers]


def _ints(table: pa.Table, name: str) -> Int64s:
    return table.column(name).to_numpy().astype(np.int64, copy=False)


def ranges(starts: Int64s, stops: Int64s) -> tuple[Int64s, Int64s]:
    """(owner, position) for every position in each [start, stop): owner is the range's index."""
    counts = np.maximum(stops - starts, 0)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(starts), dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    position = np.arange(total, dtype=np.int64) + np.repeat(starts - first, counts)
    return owner, position


def union_of(first: Int64s, stop: Int64s) -> tuple[Int64s, Int64s, Int64s]:
    """The positions in any of the ranges [first, stop), sorted, each once; and where each
    range starts and stops among them (an empty range: 0, 0). Worked out from the merged
    ranges, not searched: a binary search per range took twice as long as the union."""
    nonempty = np.flatnonzero(stop > first)
    first_at = np.zeros(len(first), dtype=np.int64)
    stop_at = np.zeros(len(first), dtype=np.int64)
    if not len(nonempty):
        return np.empty(0, dtype=np.int64), first_at, stop_at
    order = nonempty[np.argsort(first[nonempty])]
    low, high = first[order], stop[order]
    reach = np.maximum.accumulate(high)
    is_open = np.r_[True, low[1:] > reach[:-1]]
    opens = np.flatnonzero(is_open)
    closes = np.r_[opens[1:] - 1, len(low) - 1]
    merged_low, merged_high = low[opens], reach[closes]
    lengths = merged_high - merged_low
    # Each range lies in one merged range: its place there plus where that one begins.
    merged = np.cumsum(is_open) - 1
    shift = (np.cumsum(lengths) - lengths - merged_low)[merged]
    first_at[order], stop_at[order] = low + shift, high + shift
    return ranges(merged_low, merged_high)[1], first_at, stop_at


def _csr(keys: Int64s, size: int) -> tuple[Int64s, Int64s]:
    """(order, offsets): rows of key k are order[offsets[k]:offsets[k + 1]]."""
    # Order within a key does not matter: the default sort, much faster than a stable one.
    order = np.argsort(keys)
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=offsets[1:])
    return order, offsets


class VisitIndex:
    """VISITS (schema.VISITS) and households, indexed for `prepared.trace_prepared`."""

    def __init__(self, visits: pa.Table, households: pa.Table | None, rules: TracingRules) -> None:
        self.rules = rules
        member = _ints(households, "resident_id") if households is not None else np.empty(0, int)
        household = _ints(households, "household_id") if households is not None else member
        resident = _ints(visits, "resident_id")
        self.residents = DenseIds.of(resident, member)
        self._index_places(visits, self.residents.dense(resident))
        self._index_carriages(visits)
        self._index_households(self.residents.dense(member), household)

    def _index_places(self, visits: pa.Table, resident: Int64s) -> None:
        start, end = _ints(visits, "start_s"), _ints(visits, "end_s")
        # Shorter visits cannot overlap anyone by the threshold: they never enter the index.
        keep = end - start >= self.rules.min_overlap_s
        start, end, resident = start[keep], end[keep], resident[keep]
        place_id = _ints(visits, "place_id")[keep]
        self.places = DenseIds.of(place_id)
        tier = np.searchsorted(TIER_STARTS, end - start, side="right") - 1
        group = self.places.dense(place_id) * len(TIER_STARTS) + tier
        self.origin = int(start.min()) if len(start) else 0
        self.span = (int(start.max()) - self.origin + 1) if len(start) else 1
        key = group * self.span + (start - self.origin)
        order = np.argsort(key)
        self.key, self.start, self.end = key[order], start[order], end[order]
        self.resident = resident[order]
        self.place = (group[order] // len(TIER_STARTS)).astype(np.int64)
        groups = self.places.size * len(TIER_STARTS)
        # Longest stay of each (place, tier); -1 where the group is empty.
        self.longest = np.full(groups, -1, dtype=np.int64)
        if len(order):
            sorted_group = group[order]
            firsts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
            durations = self.end - self.start
            self.longest[sorted_group[firsts]] = np.maximum.reduceat(durations, firsts)
        self.by_resident, self.resident_offsets = _csr(self.resident, self.residents.size)

    def _index_carriages(self, visits: pa.Table) -> None:
        train, carriage = visits.column("train_number"), visits.column("carriage")
        on_rail = pc.and_(pc.is_valid(train), pc.is_valid(carriage))
        rail = visits.filter(on_rail)
        # One code per (train, carriage): the two joined by a byte neither contains.
        pair = pc.binary_join_element_wise(
            rail.column("train_number"), rail.column("carriage"), "\x00"
        )
        codes = pc.dictionary_encode(pair).combine_chunks().indices
        code = codes.to_numpy(zero_copy_only=False).astype(np.int64)
        order = np.argsort(code, kind="stable")
        self.rail_code = code[order]
        self.rail_resident = self.residents.dense(_ints(rail, "resident_id"))[order]
        self.rail_place = _ints(rail, "place_id")[order]
        self.rail_start, self.rail_end = _ints(rail, "start_s")[order], _ints(rail, "end_s")[order]
        self.rail_by_resident = np.argsort(self.rail_resident, kind="stable")
        self.rail_residents_sorted = self.rail_resident[self.rail_by_resident]

    def _index_households(self, member: Int64s, household: Int64s) -> None:
        by_member = np.argsort(member, kind="stable")
        self.household_member_sorted = member[by_member]
        self.household_of_member = household[by_member]
        by_household = np.argsort(household, kind="stable")
        self.household_sorted = household[by_household]
        self.members_by_household = member[by_household]

    def visits_of(self, residents: Int64s) -> tuple[Int64s, Int64s]:
        """(owner, row) for every indexed visit of each resident (dense numbers; -1: none)."""
        if not self.residents.size:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        known = residents >= 0
        safe = np.where(known, residents, 0)
        starts = np.where(known, self.resident_offsets[safe], 0)
        stops = np.where(known, self.resident_offsets[safe + 1], 0)
        owner, position = ranges(starts, stops)
        return owner, self.by_resident[position]

    def candidates(
        self, place: Int64s, start: Int64s, end: Int64s, tier: int
    ) -> tuple[Int64s, Int64s]:
        """(first, stop) rows of the visits in one duration tier at each place that start early
        enough and late enough to overlap [start, end) by `min_overlap_s`."""
        tiers = len(TIER_STARTS)
        group = place * tiers + tier
        longest = self.longest[group]
        # Only the places with visits in this tier are searched (a quarter of a large case's
        # sources in the shortest tier).
        live = np.flatnonzero(longest >= 0)
        group, longest = group[live], longest[live]
        minimum = self.rules.min_overlap_s
        # A visit of at most `longest` seconds overlaps enough only if it starts within
        # [start + minimum - longest, end - minimum].
        low = np.clip(start[live] + minimum - longest - self.origin, 0, self.span)
        high = np.clip(end[live] - minimum - self.origin, -1, self.span - 1)
        first = np.zeros(len(place), dtype=np.int64)
        stop = np.zeros(len(place), dtype=np.int64)
        first[live] = np.searchsorted(self.key, group * self.span + low)
        stop[live] = np.maximum(
            np.searchsorted(self.key, group * self.span + high, side="right"), first[live]
        )
        return first, stop

    def rail_visits_of(self, residents: Int64s) -> tuple[Int64s, Int64s]:
        """(owner, rail row) for every rail visit (with train and carriage) of each resident."""
        first = np.searchsorted(self.rail_residents_sorted, residents)
        stop = np.searchsorted(self.rail_residents_sorted, residents, side="right")
        stop = np.where(residents >= 0, stop, first)
        owner, position = ranges(first, stop)
        return owner, self.rail_by_resident[position]

    def same_carriage(self, rows: Int64s) -> tuple[Int64s, Int64s]:
        """(owner, rail row) for every rail visit in the same train carriage as each row."""
        code = self.rail_code[rows]
        first = np.searchsorted(self.rail_code, code)
        stop = np.searchsorted(self.rail_code, code, side="right")
        return ranges(first, stop)

    def household_members(self, residents: Int64s) -> tuple[Int64s, Int64s]:
        """(owner, member) for each member of each household of each resident, the resident
        included: one row per (household row, member row), as a join would give."""
        ascending = np.argsort(residents)  # ascending needles search faster
        needles = residents[ascending]
        first = np.searchsorted(self.household_member_sorted, needles)
        stop = np.searchsorted(self.household_member_sorted, needles, side="right")
        stop = np.where(needles >= 0, stop, first)
        owner, position = ranges(first, stop)
        owner = ascending[owner]
        household = self.household_of_member[position]
        member_first = np.searchsorted(self.household_sorted, household)
        member_stop = np.searchsorted(self.household_sorted, household, side="right")
        inner, member_position = ranges(member_first, member_stop)
        return owner[inner], self.members_by_household[member_position]

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays."""
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


def read_visits(
    source: VisitsSource, rules: TracingRules, columns: Sequence[str] = INDEX_COLUMNS
) -> pa.Table:
    """VISITS columns from movements Parquet, by the engine's own definition (visits.py)."""
    with DuckDBEngine() as engine:
        register_visits(engine, source, rules)
        return engine.query(build("SELECT * FROM visits").select(*columns, append=False))


def prepare_city_directory(directory: Path, rules: TracingRules) -> VisitIndex:
    """The index of a city folder or store export (engine.trace_city_directory's inputs)."""
    places = directory / "places.parquet"
    source = VisitsSource(directory / "movements", places if places.exists() else None)
    return VisitIndex(read_visits(source, rules), read_households(directory), rules)

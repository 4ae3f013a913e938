"""Tracing over prepared movements (visit_index.VisitIndex): the engine's contacts, per case fast.

The rules are those of definitions.py, applied with arrays instead of SQL: a source visit
(a case's, or a close contact's after their first exposure) meets every indexed visit at its
place that overlaps it by `min_overlap_s`; the same train carriage and the same household
likewise. A test holds the two paths to identical rows (tests/tracing/test_prepared.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial

import numpy as np
import pyarrow as pa

from epicontrol.tracing import schema
from epicontrol.tracing.episodes import (
    HOUSEHOLD,
    SAME_CARRIAGE,
    Episodes,
    Pairing,
    contacts_table,
)
from epicontrol.tracing.rules import MINUTE
from epicontrol.tracing.visit_index import TIER_STARTS, Int64s, VisitIndex, union_of

# Candidate pairs formed at once: bounds the memory of a case at a large school.
CHUNK_PAIRS = 8_000_000


@dataclass(frozen=True, slots=True)
class Sources:
    """Periods or visits that expose others: `case` is a row of the case windows, residents
    are dense numbers, `via` is -1 for the case itself, `place` a dense place for indexed
    visits and an external id for rail visits."""

    case: Int64s
    resident: Int64s
    via: Int64s
    start: Int64s
    end: Int64s
    place: Int64s

    def take(self, rows: Int64s) -> Sources:
        return Sources(*(getattr(self, f.name)[rows] for f in fields(self)))


class Excluded:
    """The people each case's contacts may not include (definitions.CASE_SELF and
    SECONDARY_EXCLUDED), by case number."""

    def __init__(self, case: Int64s, resident: Int64s, residents: int, cases: int) -> None:
        known = resident >= 0
        self.residents = residents
        self.keys = np.unique(case[known] * residents + resident[known])
        self.flagged = np.zeros(residents, dtype=bool)
        self.flagged[resident[known]] = True
        self.one_case = cases == 1

    def allowed(self, resident: Int64s, case_of: Callable[[Int64s], Int64s]) -> np.ndarray:
        """Whether each resident may be a contact of its case; `case_of(rows)` gives the case
        numbers of some rows, asked only for residents excluded for some case."""
        flagged = self.flagged[resident]
        allowed = ~flagged
        if self.one_case or not flagged.any():
            return allowed
        # Several cases: a resident excluded for one case may be another's contact.
        rows = np.flatnonzero(flagged)
        keys = case_of(rows) * self.residents + resident[rows]
        position = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        allowed[rows] = self.keys[position] != keys
        return allowed


def _case_of(case_number: Int64s, case: Int64s, source: Int64s, rows: Int64s) -> Int64s:
    """The case numbers of some pairs (rows of `source`, itself rows of the sources)."""
    return case_number[case[source[rows]]]


def _allowed(
    excluded: Excluded, case_number: Int64s, sources: Sources, contact: Int64s, source: Int64s
) -> np.ndarray:
    """Whether each pair's contact may be a contact of its source's case."""
    return excluded.allowed(contact, partial(_case_of, case_number, sources.case, source))


def _chunks(counts: Int64s) -> list[tuple[int, int]]:
    """Slices of ranges whose candidate pairs number about CHUNK_PAIRS each."""
    ends = np.cumsum(counts)
    cuts = np.searchsorted(ends, np.arange(CHUNK_PAIRS, int(ends[-1]), CHUNK_PAIRS)) + 1
    bounds = [0, *sorted(set(cuts.tolist()) - {0, len(counts)}), len(counts)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _co_location(
    index: VisitIndex, sources: Sources, case_number: Int64s, excluded: Excluded
) -> list[Episodes]:
    """definitions.CO_LOCATION: each pair of visits at one place overlapping long enough."""
    minimum = index.rules.min_overlap_s
    long_enough = np.flatnonzero(sources.end - sources.start >= minimum)
    # In place and time order, each binary search starts where the previous one ended
    # (numpy's searchsorted keeps its bounds for ascending needles): half the search time.
    by_place = np.lexsort((sources.start[long_enough], sources.place[long_enough]))
    sources = sources.take(long_enough[by_place])
    if not len(sources.case):
        return []
    bounds = [
        index.candidates(sources.place, sources.start, sources.end, tier)
        for tier in range(len(TIER_STARTS))
    ]
    first = np.concatenate([b[0] for b in bounds])
    stop = np.concatenate([b[1] for b in bounds])
    source_of_range = np.tile(np.arange(len(sources.case)), len(TIER_STARTS))
    # Others are the visits in any range, less the excluded people, removed once before
    # pairing: at a market where a case's 18,000 close contacts meet each other daily, pairing
    # first formed 387 million pairs to keep 5 million.
    # (With several cases, exclusions differ per case: pairs are checked one by one instead.)
    others = None
    if excluded.one_case:
        others, first, stop = union_of(first, stop)
        allowed = ~excluded.flagged[index.resident[others]]
        before = np.zeros(len(others) + 1, dtype=np.int64)
        np.cumsum(allowed, out=before[1:])  # others allowed before each position
        others, first, stop = others[allowed], before[first], before[stop]
    if others is None:
        visits = (index.start, index.end, index.resident)
    else:
        visits = (index.start[others], index.end[others], index.resident[others])
    pairing = Pairing(
        index.rules.min_overlap_s,
        start=sources.start,
        end=sources.end,
        case=sources.case,
        place=index.places.external(sources.place),
        via=sources.via,
        visit_start=visits[0],
        visit_end=visits[1],
        visit_resident=visits[2],
        allowed=None if excluded.one_case else partial(_allowed, excluded, case_number, sources),
    )
    found = []
    for low, high in _chunks(stop - first):
        found.append(pairing.episodes(first[low:high], stop[low:high], source_of_range[low:high]))
    return found


def _same_carriage(
    index: VisitIndex, periods: Sources, case_number: Int64s, excluded: Excluded
) -> list[Episodes]:
    """definitions.SAME_CARRIAGE: in one train carriage together, from rail records."""
    owner, rail = index.rail_visits_of(periods.resident)
    starts, ends = index.rail_start[rail], index.rail_end[rail]
    inside = (ends > periods.start[owner]) & (starts < periods.end[owner])
    owner, rail = owner[inside], rail[inside]
    start = np.maximum(starts[inside], periods.start[owner])
    end = np.minimum(ends[inside], periods.end[owner])
    source, other = index.same_carriage(rail)
    overlap_start = np.maximum(start[source], index.rail_start[other])
    overlap_end = np.minimum(end[source], index.rail_end[other])
    period = owner[source]
    contact = index.rail_resident[other]
    keep = (overlap_end - overlap_start >= index.rules.carriage_min_overlap_s) & (
        contact != periods.resident[period]
    )
    keep &= excluded.allowed(contact, lambda rows: case_number[periods.case[period[rows]]])
    period = period[keep]
    return [
        Episodes(
            case=periods.case[period],
            contact=contact[keep],
            rule=np.full(len(period), SAME_CARRIAGE, dtype=np.int8),
            place=index.rail_place[rail[source[keep]]],
            via=periods.via[period],
            start=overlap_start[keep],
            end=overlap_end[keep],
            minutes=(overlap_end[keep] - overlap_start[keep]) // MINUTE,
        )
    ]


def _household(
    index: VisitIndex, periods: Sources, case_number: Int64s, excluded: Excluded
) -> list[Episodes]:
    """definitions.HOUSEHOLD: everyone sharing the household, for the whole period."""
    owner, member = index.household_members(periods.resident)
    keep = member != periods.resident[owner]
    keep &= excluded.allowed(member, lambda rows: case_number[periods.case[owner[rows]]])
    owner, member = owner[keep], member[keep]
    return [
        Episodes(
            case=periods.case[owner],
            contact=member,
            rule=np.full(len(owner), HOUSEHOLD, dtype=np.int8),
            place=np.full(len(owner), -1),
            via=periods.via[owner],
            start=periods.start[owner],
            end=periods.end[owner],
            minutes=(periods.end[owner] - periods.start[owner]) // MINUTE,
        )
    ]


def _visits_in(index: VisitIndex, periods: Sources) -> Sources:
    """definitions.SOURCE_VISITS: the indexed visits of each period's resident, clipped to it."""
    owner, row = index.visits_of(periods.resident)
    inside = (index.end[row] > periods.start[owner]) & (index.start[row] < periods.end[owner])
    owner, row = owner[inside], row[inside]
    return Sources(
        case=periods.case[owner],
        resident=periods.resident[owner],
        via=periods.via[owner],
        start=np.maximum(index.start[row], periods.start[owner]),
        end=np.minimum(index.end[row], periods.end[owner]),
        place=index.place[row],
    )


def _ring(
    index: VisitIndex, periods: Sources, case_number: Int64s, excluded: Excluded
) -> list[Episodes]:
    """Every rule applied to the periods' residents (one ring of contacts), in parts."""
    found = _co_location(index, _visits_in(index, periods), case_number, excluded)
    found += _same_carriage(index, periods, case_number, excluded)
    found += _household(index, periods, case_number, excluded)
    return found


def _close_contact_periods(
    index: VisitIndex,
    close: Episodes,
    case_resident: Int64s,
    case_number: Int64s,
    isolations: pa.Table | None,
    now_s: int,
) -> Sources:
    """definitions.CLOSE_CONTACT_PERIODS: first exposure until isolation (else `now_s`)."""
    order = np.lexsort((close.contact, case_resident[close.case], case_number[close.case]))
    number, contact = case_number[close.case][order], close.contact[order]
    resident = case_resident[close.case][order]
    changes = (
        (number[1:] != number[:-1])
        | (resident[1:] != resident[:-1])
        | (contact[1:] != contact[:-1])
    )
    firsts = np.flatnonzero(np.r_[True, changes]) if len(order) else np.empty(0, dtype=np.int64)
    start = np.minimum.reduceat(close.start[order], firsts) if len(firsts) else firsts
    contact = contact[firsts]
    end = np.full(len(firsts), now_s, dtype=np.int64)
    if isolations is not None and isolations.num_rows:
        isolated = index.residents.dense(isolations.column("resident_id").to_numpy())
        at = isolations.column("isolated_at_s").to_numpy().astype(np.int64)
        by = np.lexsort((at, isolated))
        isolated, at = isolated[by], at[by]
        position = np.searchsorted(isolated, contact)  # the first, so the earliest
        found = position < len(isolated)
        found[found] = isolated[position[found]] == contact[found]
        end[found] = at[position[found]]
    keep = end > start
    return Sources(
        case=close.case[order][firsts][keep],
        resident=contact[keep],
        via=contact[keep],
        start=start[keep],
        end=end[keep],
        place=np.full(int(keep.sum()), -1),
    )


def trace_prepared(
    index: VisitIndex,
    *,
    case_windows: pa.Table,
    now_s: int,
    contact_isolations: pa.Table | None = None,
    is_ordered: bool = True,
    is_secondary: bool | None = None,
) -> pa.Table:
    """Close and secondary contacts of the cases (schema.CONTACTS), as engine.trace gives them
    for the same visits, households and rules; in CONTACTS_ORDER when `is_ordered` (sorting
    tens of millions of secondary contacts costs more than finding them). `is_secondary`
    overrides the index's rules on whether to trace secondary contacts."""
    windows = case_windows.select(schema.CASE_WINDOWS.names).cast(schema.CASE_WINDOWS)
    case_ids = windows.column("case_id").to_numpy().astype(np.int64)
    resident = index.residents.dense(windows.column("resident_id").to_numpy())
    unique_cases, case_number = np.unique(case_ids, return_inverse=True)
    rows = np.arange(len(case_ids))
    start = windows.column("window_start_s").to_numpy().astype(np.int64)
    end = windows.column("window_end_s").to_numpy().astype(np.int64)
    live = end > start
    periods = Sources(rows, resident, np.full(len(rows), -1), start, end, rows * 0).take(
        np.flatnonzero(live)
    )
    size = index.residents.size
    excluded = Excluded(case_number, resident, size, len(unique_cases))
    close_parts = _ring(index, periods, case_number, excluded)
    close = Episodes.concat(close_parts)
    parts = [(part, 1) for part in close_parts]
    if index.rules.trace_secondary_contacts if is_secondary is None else is_secondary:
        contact_periods = _close_contact_periods(
            index, close, resident, case_number, contact_isolations, now_s
        )
        # One case at a time: its exclusions are then one mask over residents.
        for number in range(len(unique_cases)):
            mine = contact_periods.take(np.flatnonzero(case_number[contact_periods.case] == number))
            if not len(mine.case):
                continue
            of_case = case_number[close.case] == number
            people = np.concatenate([resident[case_number == number], close.contact[of_case]])
            excluded_here = Excluded(np.zeros(len(people), dtype=np.int64), people, size, 1)
            parts += [(part, 2) for part in _ring(index, mine, case_number, excluded_here)]
    return contacts_table(index, parts, case_ids, windows.column("resident_id"), is_ordered)

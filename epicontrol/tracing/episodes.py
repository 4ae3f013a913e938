"""Contact episodes found over prepared visits, as arrays, and their schema.CONTACTS table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from epicontrol.tracing import schema
from epicontrol.tracing.rules import MINUTE
from epicontrol.tracing.visit_index import Int64s, VisitIndex

# Sorted, so that sorting by code sorts by name.
RULE_NAMES = ("co_location", "household", "same_carriage")
CO_LOCATION, HOUSEHOLD, SAME_CARRIAGE = range(3)
NULL_LAST = np.iinfo(np.int64).max
# Candidate pairs worked on at once: small enough that the temporaries of a block stay in the
# CPU cache (half the time of whole-chunk arrays on the city's largest case).
BLOCK_PAIRS = 1 << 16


@dataclass(frozen=True, slots=True)
class Episodes:
    """Contacts found, as arrays: `place` is an external id or -1 (null)."""

    case: Int64s
    contact: Int64s
    rule: Int64s
    place: Int64s
    via: Int64s
    start: Int64s
    end: Int64s
    minutes: Int64s

    @classmethod
    def concat(cls, parts: list[Episodes]) -> Episodes:
        if not parts:
            return cls(*(np.empty(0, dtype=np.int64) for _ in fields(cls)))
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


def _is_uniform(values: Int64s) -> bool:
    """Whether the values are one value (a broadcast one is, without reading it)."""
    if len(values) and values.strides == (0,):
        return True
    return bool(len(values) and (values == values[0]).all())


@dataclass(frozen=True, slots=True)
class Pairing:
    """Source visits paired with ranges of visits, kept when they overlap by `minimum`.

    Per source: the bounds of its visit, and the case, place and via its episodes carry. The
    ranges are positions in `visit_start`, `visit_end` and `visit_resident` (the index's
    arrays, or the few rows of them that a case's ranges cover). `allowed(contact, source)`,
    when given, drops the pairs of people excluded for the source's case."""

    minimum: int
    start: Int64s
    end: Int64s
    case: Int64s
    place: Int64s
    via: Int64s
    visit_start: Int64s
    visit_end: Int64s
    visit_resident: Int64s
    allowed: Callable[[Int64s, Int64s], np.ndarray] | None

    def episodes(self, first: Int64s, stop: Int64s, source_of_range: Int64s) -> Episodes:
        """Co-location episodes of every (source, visit in its range [first, stop)) pair that
        overlaps enough, in range order then position order.

        Pairs are formed BLOCK_PAIRS at a time, so that a block's temporaries stay in the CPU
        cache; each range's source values are repeated rather than gathered per pair, those
        carried into the episodes once for all blocks, by the count of pairs each range kept."""
        counts = stop - first
        ends = np.cumsum(counts)
        total = int(ends[-1]) if len(ends) else 0
        begins = ends - counts
        shift = first - begins  # a range's positions: the pairs' flat numbers plus its shift
        start, end = self.start[source_of_range], self.end[source_of_range]
        # Per-source columns with one value (one case; the null via of degree 1) are not
        # written per pair: a read-only broadcast of the value stands for them.
        varying = {
            name: values[source_of_range]
            for name, values in (("case", self.case), ("place", self.place), ("via", self.via))
            if not _is_uniform(values)
        }
        out = {
            name: np.empty(total, dtype=np.int64) for name in ("contact", "start", "end", "minutes")
        }
        kept_of_range = np.zeros(len(counts), dtype=np.int64)
        block_starts = np.arange(0, total, BLOCK_PAIRS)
        block_stops = np.minimum(block_starts + BLOCK_PAIRS, total)
        lows = np.searchsorted(ends, block_starts, side="right")
        highs = np.searchsorted(ends, block_stops - 1, side="right") + 1
        written = 0
        for a, b, low, high in zip(
            block_starts.tolist(), block_stops.tolist(), lows.tolist(), highs.tolist(), strict=True
        ):
            taken = np.minimum(ends[low:high], b) - np.maximum(begins[low:high], a)
            row = np.repeat(shift[low:high], taken)
            row += np.arange(a, b, dtype=np.int64)
            overlap_start = np.repeat(start[low:high], taken)
            np.maximum(overlap_start, self.visit_start[row], out=overlap_start)
            overlap_end = np.repeat(end[low:high], taken)
            np.minimum(overlap_end, self.visit_end[row], out=overlap_end)
            overlap = overlap_end - overlap_start
            keep = overlap >= self.minimum
            if self.allowed is not None:
                source = np.repeat(source_of_range[low:high], taken)
                keep &= self.allowed(self.visit_resident[row], source)
            kept = np.flatnonzero(keep)
            span = slice(written, written + len(kept))
            if len(kept) < len(row):
                row, overlap_start, overlap_end = row[kept], overlap_start[kept], overlap_end[kept]
                overlap = overlap[kept]
                taken = np.diff(np.searchsorted(kept, np.cumsum(taken)), prepend=0)
            kept_of_range[low:high] += taken
            np.take(self.visit_resident, row, out=out["contact"][span])
            out["start"][span] = overlap_start
            out["end"][span] = overlap_end
            np.floor_divide(overlap, MINUTE, out=out["minutes"][span])
            written += len(kept)
        # Views of the buffers unless most pairs were dropped (several cases' exclusions).
        column = {
            name: values[:written].copy() if 2 * written < total else values[:written]
            for name, values in out.items()
        }
        for name, values in (("case", self.case), ("place", self.place), ("via", self.via)):
            if name in varying:
                column[name] = np.repeat(varying[name], kept_of_range)
            else:
                column[name] = np.broadcast_to(values[:1] if len(values) else -1, written)
        return Episodes(
            case=column["case"],
            contact=column["contact"],
            rule=np.broadcast_to(np.int8(CO_LOCATION), written),
            place=column["place"],
            via=column["via"],
            start=column["start"],
            end=column["end"],
            minutes=column["minutes"],
        )


def _nullable(values: Int64s) -> pa.Array:
    """An Arrow array of the values, -1 standing for null."""
    missing = values < 0
    if not missing.any():
        return pa.array(values)
    return pa.nulls(len(values), pa.int64()) if missing.all() else pa.array(values, mask=missing)


def _rule_names(rule: Int64s, is_uniform: bool) -> pa.Array:
    """The rules' names; a part found by one rule is one name repeated, laid out directly:
    six times faster than casting a dictionary array."""
    if not is_uniform:
        codes = pa.array(rule.astype(np.int8))
        return pa.DictionaryArray.from_arrays(codes, RULE_NAMES).cast(pa.string())
    name = np.frombuffer(RULE_NAMES[int(rule[0])].encode(), dtype=np.uint8)
    offsets = np.arange(0, (len(rule) + 1) * len(name), len(name), dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(rule), pa.py_buffer(offsets), pa.py_buffer(_repeated(name, len(rule)))
    )


def _repeated(pattern: np.ndarray, times: int) -> np.ndarray:
    """The bytes of `pattern` `times` over, by doubling copies: a few large memory copies
    (bytes * n took six times longer on 13 million names)."""
    out = np.empty(len(pattern) * times, dtype=np.uint8)
    done = min(len(pattern), len(out))
    out[:done] = pattern[:done]
    while done < len(out):
        step = min(done, len(out) - done)
        out[done : done + step] = out[:step]
        done += step
    return out


def _filled(values: Int64s, rows: Int64s) -> pa.Array:
    """values[rows] as an Arrow array; one value repeated is filled, not gathered."""
    if _is_uniform(rows):
        return pa.array(np.full(len(rows), values[rows[0]], dtype=np.int64))
    return pa.array(values[rows])


def _batch(
    index: VisitIndex,
    found: Episodes,
    degree: np.ndarray,
    case_ids: Int64s,
    residents: Int64s,
) -> pa.RecordBatch:
    """schema.CONTACTS rows of the episodes. A uniform part (one rule, one degree: every part
    as found) tells from its first row which of its places and vias are null."""
    size = len(found.case)
    is_uniform = _is_uniform(found.rule) and _is_uniform(degree)
    if is_uniform:
        is_household = found.rule[0] == HOUSEHOLD
        place = pa.nulls(size, pa.int64()) if is_household else pa.array(found.place)
        is_close = degree[0] == 1
        via = pa.nulls(size, pa.int64()) if is_close else pa.array(external(index, found.via))
    else:
        place = _nullable(found.place)
        known = found.via >= 0
        via = _nullable(np.where(known, external(index, np.maximum(found.via, 0)), -1))
    columns = [
        _filled(case_ids, found.case),
        _filled(residents, found.case),
        pa.array(external(index, found.contact)),
        pa.array(degree),
        _rule_names(found.rule, is_uniform),
        place,
        via,
        pa.array(found.start),
        pa.array(found.end),
        pa.array(found.minutes),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema.CONTACTS)


def external(index: VisitIndex, residents: Int64s) -> Int64s:
    """Resident ids of dense numbers."""
    return index.residents.external(residents)


def _ordered(
    index: VisitIndex, found: Episodes, degree: np.ndarray, case_ids: Int64s
) -> tuple[Episodes, np.ndarray]:
    """The episodes in CONTACTS_ORDER (nulls last), then by end: as contacts_query sorts."""
    # Dense numbers sort as the ids they stand for, so (case, degree, contact, rule) packs
    # into one key: five sort keys rather than eight.
    rank = np.searchsorted(np.unique(case_ids), case_ids)[found.case]
    people = index.residents.size + 1
    leading = ((rank * 2 + degree - 1) * people + found.contact) * len(RULE_NAMES) + found.rule
    via = np.where(found.via >= 0, found.via, people)
    place = np.where(found.place >= 0, found.place, NULL_LAST)
    order = np.lexsort((found.end, found.start, via, place, leading))
    return Episodes(*(getattr(found, f.name)[order] for f in fields(Episodes))), degree[order]


def contacts_table(
    index: VisitIndex,
    parts: list[tuple[Episodes, int]],
    case_ids: Int64s,
    case_residents: pa.ChunkedArray,
    is_ordered: bool,
) -> pa.Table:
    """schema.CONTACTS from the episodes of each degree: one batch per part, unless ordered."""
    residents = case_residents.to_numpy().astype(np.int64)
    degrees = [np.full(len(p.case), d, dtype=np.int8) for p, d in parts]
    if not is_ordered:
        batches = [
            _batch(index, part, degree, case_ids, residents)
            for (part, _), degree in zip(parts, degrees, strict=True)
        ]
        return pa.Table.from_batches(batches, schema=schema.CONTACTS)
    found, degree = _ordered(
        index, Episodes.concat([p for p, _ in parts]), np.concatenate(degrees), case_ids
    )
    return pa.Table.from_batches([_batch(index, found, degree, case_ids, residents)])

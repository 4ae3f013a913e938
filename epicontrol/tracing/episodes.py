"""Contact episodes found over prepared visits, as arrays, and their schema.CONTACTS table."""

from __future__ import annotations

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

    @classmethod
    def concat(cls, parts: list[Episodes]) -> Episodes:
        if not parts:
            return cls(*(np.empty(0, dtype=np.int64) for _ in fields(cls)))
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


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
    name = RULE_NAMES[int(rule[0])].encode()
    offsets = np.arange(0, (len(rule) + 1) * len(name), len(name), dtype=np.int32)
    return pa.StringArray.from_buffers(
        len(rule), pa.py_buffer(offsets), pa.py_buffer(name * len(rule))
    )


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
    is_uniform = (
        size > 0 and bool((found.rule == found.rule[0]).all()) and bool((degree == degree[0]).all())
    )
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
        pa.array(case_ids[found.case]),
        pa.array(residents[found.case]),
        pa.array(external(index, found.contact)),
        pa.array(degree),
        _rule_names(found.rule, is_uniform),
        place,
        via,
        pa.array(found.start),
        pa.array(found.end),
        pa.array((found.end - found.start) // MINUTE),
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

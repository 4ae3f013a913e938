"""VISITS (schema.VISITS) from either Parquet layout of movements, built in the engine's SQL.

Two layouts exist: the synthetic city's intervals (entered_at, left_at: null for a point scan)
and the store's export of events (one record per "in" or "out"). Both become stays of one
resident at one place with integer epoch seconds; a stay without a recorded end gets the dwell
estimate of its place kind (rules.TracingRules.dwell_minutes_by_place_kind).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from epicontrol.tracing import schema
from epicontrol.tracing.definitions import build
from epicontrol.tracing.engines.base import Engine
from epicontrol.tracing.rules import TracingRules

INTERVALS = "intervals"  # epicontrol/demo/tables.movements_table
EVENTS = "events"  # epicontrol/movements/export.MOVEMENT_SCHEMA
LAYOUTS = (INTERVALS, EVENTS)

PLACES = pa.schema([("id", pa.int64()), ("kind", pa.string())])
DWELL_ESTIMATES = pa.schema([("place_kind", pa.string()), ("dwell_s", pa.int64())])
# Columns of `movements` the definitions read but a file may lack, and what stands in for them.
OPTIONAL_COLUMNS: dict[str, exp.Expr] = {
    "train_number": exp.cast(exp.null(), "TEXT"),
    "carriage": exp.cast(exp.null(), "TEXT"),
    "record_id": exp.Literal.number(0),
}

# Each place with the stay assumed after a point scan there.
PLACE_DWELL = """
SELECT p.id AS place_id, p.kind AS place_kind, COALESCE(d.dwell_s, :default_dwell_s) AS dwell_s
FROM places AS p
LEFT JOIN dwell_estimates AS d ON d.place_kind = p.kind
"""

# A recorded stay is capped at :max_stay_s (a forgotten check-out), and never ends before it
# starts (a device clock that jumped back).
FROM_INTERVALS = """
WITH stamped AS (
    SELECT m.resident_id, m.place_id, m.kind,
           CAST(FLOOR(EPOCH(m.entered_at)) AS BIGINT) AS start_s,
           CAST(FLOOR(EPOCH(m.left_at)) AS BIGINT) AS left_s
    FROM movements AS m
    WHERE m.resident_id IS NOT NULL AND m.place_id IS NOT NULL AND m.entered_at IS NOT NULL
)
SELECT s.resident_id, s.place_id, d.place_kind, s.kind, s.start_s,
       CASE WHEN s.left_s IS NULL THEN s.start_s + COALESCE(d.dwell_s, :default_dwell_s)
            ELSE LEAST(GREATEST(s.left_s, s.start_s), s.start_s + :max_stay_s) END AS end_s,
       s.left_s IS NULL AS is_dwell_estimated,
       CAST(NULL AS TEXT) AS train_number, CAST(NULL AS TEXT) AS carriage
FROM stamped AS s
LEFT JOIN place_dwell AS d ON d.place_id = s.place_id
"""

# Each "in" is paired with the same person's next record at the same place: an "out" ends the
# stay; anything else (another "in", nothing) means the check-out was never recorded, so the
# stay gets the dwell estimate. An "out" without its "in" (the entry scan was missed) is a stay
# of the dwell estimate ending there. A record without a direction counts as an "in". At one
# second an "in" sorts before an "out", so a zero-length stay still pairs.
FROM_EVENTS = """
WITH stamped AS (
    SELECT m.record_id, m.resident_id, m.place_id, m.kind, m.train_number, m.carriage,
           CASE WHEN m.direction = 'out' THEN 'out' ELSE 'in' END AS direction,
           CAST(FLOOR(EPOCH(m.occurred_at)) AS BIGINT) AS at_s
    FROM movements AS m
    WHERE m.resident_id IS NOT NULL AND m.place_id IS NOT NULL AND m.occurred_at IS NOT NULL
), sequenced AS (
    SELECT s.*,
           LEAD(s.direction) OVER (
               PARTITION BY s.resident_id, s.place_id
               ORDER BY s.at_s, CASE WHEN s.direction = 'out' THEN 1 ELSE 0 END, s.record_id
           ) AS next_direction,
           LEAD(s.at_s) OVER (
               PARTITION BY s.resident_id, s.place_id
               ORDER BY s.at_s, CASE WHEN s.direction = 'out' THEN 1 ELSE 0 END, s.record_id
           ) AS next_at_s,
           LAG(s.direction) OVER (
               PARTITION BY s.resident_id, s.place_id
               ORDER BY s.at_s, CASE WHEN s.direction = 'out' THEN 1 ELSE 0 END, s.record_id
           ) AS previous_direction
    FROM stamped AS s
), stays AS (
    SELECT q.resident_id, q.place_id, d.place_kind, q.kind, q.train_number, q.carriage,
           COALESCE(d.dwell_s, :default_dwell_s) AS dwell_s, q.direction, q.at_s,
           q.next_direction, q.next_at_s
    FROM sequenced AS q
    LEFT JOIN place_dwell AS d ON d.place_id = q.place_id
    WHERE q.direction = 'in' OR q.previous_direction IS DISTINCT FROM 'in'
)
SELECT t.resident_id, t.place_id, t.place_kind, t.kind,
       CASE WHEN t.direction = 'out' THEN t.at_s - t.dwell_s ELSE t.at_s END AS start_s,
       CASE WHEN t.direction = 'out' THEN t.at_s
            WHEN t.next_direction = 'out' THEN LEAST(t.next_at_s, t.at_s + :max_stay_s)
            ELSE t.at_s + t.dwell_s END AS end_s,
       t.direction = 'out' OR t.next_direction IS DISTINCT FROM 'out' AS is_dwell_estimated,
       t.train_number, t.carriage
FROM stays AS t
"""


@dataclass(frozen=True, slots=True)
class VisitsSource:
    """Where the movements are: a Parquet file, glob or folder (read recursively); the places
    file gives each place's kind, for dwell estimates. `layout` is detected when None."""

    movements: Path | str
    places: Path | str | None = None
    layout: str | None = None


def movement_columns(movements: Path | str) -> set[str]:
    """The column names of the first Parquet file of the movements."""
    path = Path(movements)
    if path.is_dir():
        candidates = sorted(path.rglob("*.parquet"))
    else:
        candidates = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
    # Hidden and underscore files are half-written or engine bookkeeping, never data.
    first = next((p for p in candidates if p.is_file() and not p.name.startswith((".", "_"))), None)
    if first is None:
        raise FileNotFoundError(f"no Parquet movements under {movements}")
    return set(pq.read_schema(first).names)


def detect_layout(movements: Path | str, columns: set[str] | None = None) -> str:
    """INTERVALS or EVENTS, from the columns of the first Parquet file found."""
    names = columns if columns is not None else movement_columns(movements)
    if {"entered_at", "left_at"} <= names:
        return INTERVALS
    if {"direction", "occurred_at"} <= names:
        return EVENTS
    raise ValueError(f"{movements}: neither interval (entered_at, left_at) nor event columns")


def _without_missing_columns(query: exp.Query, present: set[str]) -> exp.Query:
    """The query with each optional movement column the files lack read as NULL (or 0 for the
    tie-breaking record_id): an import of another system may carry no rail columns."""

    def fill(node: exp.Expr) -> exp.Expr:
        if (
            isinstance(node, exp.Column)
            and node.table == "m"
            and node.name in OPTIONAL_COLUMNS
            and node.name not in present
        ):
            stand_in = OPTIONAL_COLUMNS[node.name].copy()
            # In a select list the stand-in keeps the column's name for the steps after.
            return (
                exp.alias_(stand_in, node.name) if isinstance(node.parent, exp.Select) else stand_in
            )
        return node

    filled = query.transform(fill)
    assert isinstance(filled, exp.Query)
    return filled


def dwell_table(rules: TracingRules) -> pa.Table:
    """The rules' dwell estimates as a relation (place_kind, dwell_s)."""
    kinds = sorted(rules.dwell_minutes_by_place_kind)
    return pa.table(
        {"place_kind": kinds, "dwell_s": [rules.dwell_s(kind) for kind in kinds]},
        schema=DWELL_ESTIMATES,
    )


def register_visits(
    engine: Engine,
    source: VisitsSource | pa.Table,
    rules: TracingRules,
    *,
    materialize: bool | None = None,
) -> None:
    """Create the `visits` relation in `engine` from a source, or from a VISITS table as is.

    Built from events, the visits are materialized unless told otherwise: every later step
    reads them, and the window function pairing the records would otherwise run for each
    (99 s against 36 s for the 1M-resident city's close contacts). Intervals stay a view over
    the files, cheaper to scan again than to copy (8 s against 13 s).
    """
    if isinstance(source, pa.Table):
        engine.register("visits", source.select(schema.VISITS.names).cast(schema.VISITS))
        return
    columns = movement_columns(source.movements)
    layout = source.layout or detect_layout(source.movements, columns)
    if layout not in LAYOUTS:
        raise ValueError(f"unknown movements layout {layout!r}; one of {', '.join(LAYOUTS)}")
    engine.register_parquet("movements", source.movements)
    if source.places is None:
        engine.register("places", PLACES.empty_table())
    else:
        engine.register_parquet("places", source.places)
    engine.register("dwell_estimates", dwell_table(rules))
    values = {"default_dwell_s": rules.default_dwell_s, "max_stay_s": rules.max_stay_s}
    place_dwell = build(PLACE_DWELL, values={"default_dwell_s": rules.default_dwell_s})
    engine.create_view("place_dwell", place_dwell, materialize=True)
    definition = FROM_INTERVALS if layout == INTERVALS else FROM_EVENTS
    query = _without_missing_columns(build(definition, values=values), columns)
    keep = layout == EVENTS if materialize is None else materialize
    engine.create_view("visits", query, materialize=keep)

"""VISITS from both Parquet layouts: intervals (the synthetic city) and events (store export)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from epicontrol.tracing import schema
from epicontrol.tracing.definitions import build
from epicontrol.tracing.engines.duckdb import DuckDBEngine
from epicontrol.tracing.rules import DEFAULT_RULES, HOUR, MINUTE
from epicontrol.tracing.visits import (
    EVENTS,
    INTERVALS,
    VisitsSource,
    detect_layout,
    register_visits,
)
from tests.tracing import engine_scenarios as town

UTC_MICROS = pa.timestamp("us", tz="UTC")


def _visits(source: VisitsSource) -> pa.Table:
    with DuckDBEngine() as engine:
        register_visits(engine, source, DEFAULT_RULES)
        found = engine.query(build("SELECT * FROM visits"))
    assert found.schema == schema.VISITS
    return found.sort_by([(name, "ascending") for name in schema.VISITS.names])


def _write_events(directory: Path, rows: list[tuple[int, str, int, int, int]]) -> Path:
    """(record_id, direction, resident, place, minute) rows as an export folder."""
    table = pa.table(
        {
            "record_id": [r[0] for r in rows],
            "kind": ["checkin"] * len(rows),
            "direction": [r[1] for r in rows],
            "resident_id": [r[2] for r in rows],
            "place_id": [r[3] for r in rows],
            "occurred_at": pa.array(
                [(town.T0 + r[4] * MINUTE) * 1_000_000 for r in rows], UTC_MICROS
            ),
            "train_number": pa.nulls(len(rows), pa.string()),
            "carriage": pa.nulls(len(rows), pa.string()),
        }
    )
    (directory / "movements").mkdir(parents=True)
    pq.write_table(table, directory / "movements" / "part-0.parquet")
    places = pa.table({"id": [10, 11], "kind": ["restaurant", "pharmacy"]})
    pq.write_table(places, directory / "places.parquet")
    return directory


def _stays(visits: pa.Table) -> list[tuple[int, int, int, int, bool]]:
    return [
        (
            r["resident_id"],
            r["place_id"],
            (r["start_s"] - town.T0) // MINUTE,
            (r["end_s"] - town.T0) // MINUTE,
            r["is_dwell_estimated"],
        )
        for r in visits.to_pylist()
    ]


def test_in_pairs_with_the_next_record_of_the_person_at_the_place(tmp_path: Path) -> None:
    directory = _write_events(
        tmp_path,
        [
            (1, "in", 1, 10, 600),
            (2, "in", 2, 10, 610),  # someone else's records do not pair with resident 1's
            (3, "out", 1, 10, 700),
            (4, "in", 1, 11, 800),  # a pharmacy scan without check-out: 10-minute estimate
            (5, "in", 1, 10, 900),  # checked in again, never out: restaurant's 60 minutes
            (6, "in", 1, 10, 1000),
            (7, "out", 1, 10, 1030),
            (8, "out", 3, 10, 500),  # an "out" whose "in" was missed: 60 minutes before it
        ],
    )
    source = VisitsSource(directory / "movements", directory / "places.parquet")
    assert _stays(_visits(source)) == [
        (1, 10, 600, 700, False),
        (1, 10, 900, 960, True),
        (1, 10, 1000, 1030, False),
        (1, 11, 800, 810, True),
        (2, 10, 610, 670, True),
        (3, 10, 440, 500, True),
    ]


def test_a_stay_without_check_out_for_days_is_capped(tmp_path: Path) -> None:
    directory = _write_events(tmp_path, [(1, "in", 1, 10, 0), (2, "out", 1, 10, 30 * 60)])
    visits = _visits(VisitsSource(directory / "movements", directory / "places.parquet"))
    assert _stays(visits) == [(1, 10, 0, DEFAULT_RULES.max_stay_s // MINUTE, False)]


def test_place_of_unknown_kind_gets_the_default_dwell(tmp_path: Path) -> None:
    directory = _write_events(tmp_path, [(1, "in", 1, 99, 0)])
    visits = _visits(VisitsSource(directory / "movements", directory / "places.parquet"))
    assert _stays(visits) == [(1, 99, 0, DEFAULT_RULES.default_dwell_minutes, True)]
    assert visits.column("place_kind").to_pylist() == [None]


def _city_as_events(city: Path, out: Path) -> Path:
    """The city's interval records as the store would hold them: an "in" and an "out"."""
    movements = ds.dataset(city / "movements", format="parquet").to_table()
    stays = movements.filter(pc.is_valid(movements.column("left_at")))

    def records(table: pa.Table, direction: str, column: str, offset: int) -> pa.Table:
        return pa.table(
            {
                "record_id": pc.add(pc.multiply(table.column("record_id"), 2), offset),
                "kind": table.column("kind"),
                "direction": pa.array([direction] * table.num_rows),
                "resident_id": table.column("resident_id"),
                "place_id": table.column("place_id"),
                "occurred_at": table.column(column),
            }
        )

    events = pa.concat_tables(
        [records(movements, "in", "entered_at", 0), records(stays, "out", "left_at", 1)]
    )
    (out / "movements").mkdir(parents=True)
    pq.write_table(events, out / "movements" / "part-0.parquet")
    return out


def test_both_layouts_of_one_city_give_the_same_visits(small_city: Path, tmp_path: Path) -> None:
    places = small_city / "places.parquet"
    exported = _city_as_events(small_city, tmp_path)
    assert detect_layout(small_city / "movements") == INTERVALS
    assert detect_layout(exported / "movements") == EVENTS
    from_intervals = _visits(VisitsSource(small_city / "movements", places))
    from_events = _visits(VisitsSource(exported / "movements", places))
    assert from_intervals.num_rows > 40_000
    assert from_events.equals(from_intervals)
    scans = from_intervals.filter(pc.field("is_dwell_estimated"))
    gate = scans.filter(pc.field("place_kind") == "community_gate").slice(0, 1).to_pylist()[0]
    assert gate["end_s"] - gate["start_s"] == DEFAULT_RULES.dwell_s("community_gate")


def test_a_folder_without_movement_columns_is_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [1]}), tmp_path / "odd.parquet")
    with pytest.raises(ValueError, match="neither"):
        detect_layout(tmp_path)
    assert HOUR == 3600

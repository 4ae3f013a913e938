"""Tracing over the prepared visit index gives exactly the engine's contacts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from epicontrol.tracing import episodes, prepared, schema
from epicontrol.tracing.engine import (
    case_windows_from_cases,
    data_now,
    read_households,
    trace,
    trace_city_directory,
)
from epicontrol.tracing.engines.duckdb import DuckDBEngine
from epicontrol.tracing.prepared import trace_prepared
from epicontrol.tracing.rules import DEFAULT_RULES, TracingRules, to_epoch_seconds
from epicontrol.tracing.visit_index import (
    DenseIds,
    VisitIndex,
    prepare_city_directory,
    read_visits,
)
from epicontrol.tracing.visits import VisitsSource
from tests.tracing import engine_scenarios as town

NOW_S = town.T0 + town.NOW_MINUTES * town.MINUTE


@pytest.fixture(scope="module")
def town_visits(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    directory = town.write_town(tmp_path_factory.mktemp("town"))
    return read_visits(
        VisitsSource(directory / "movements", directory / "places.parquet"),
        DEFAULT_RULES,
        columns=schema.VISITS.names,
    )


def _engine(
    visits: pa.Table,
    windows: pa.Table,
    households: pa.Table,
    rules: TracingRules = DEFAULT_RULES,
    isolations: pa.Table | None = town.CONTACT_ISOLATIONS,
) -> pa.Table:
    with DuckDBEngine() as engine:
        return trace(
            engine,
            visits_source=visits,
            case_windows=windows,
            households=households,
            rules=rules,
            now_s=NOW_S,
            contact_isolations=isolations,
        )


def _prepared(
    visits: pa.Table,
    windows: pa.Table,
    households: pa.Table,
    rules: TracingRules = DEFAULT_RULES,
    isolations: pa.Table | None = town.CONTACT_ISOLATIONS,
) -> pa.Table:
    index = VisitIndex(visits, households, rules)
    return trace_prepared(index, case_windows=windows, now_s=NOW_S, contact_isolations=isolations)


def test_town_contacts_are_the_hand_checked_ones(town_visits: pa.Table) -> None:
    found = _prepared(town_visits, town.CASE_WINDOWS, town.HOUSEHOLDS)
    assert found.schema == schema.CONTACTS
    assert town.as_rows(found) == town.expected_rows()
    assert found.equals(_engine(town_visits, town.CASE_WINDOWS, town.HOUSEHOLDS))


@pytest.mark.parametrize(
    "rules",
    [
        replace(DEFAULT_RULES, trace_secondary_contacts=False),
        replace(DEFAULT_RULES, min_overlap_minutes=30),
        replace(DEFAULT_RULES, min_overlap_minutes=5, carriage_min_overlap_minutes=90),
    ],
    ids=["close-only", "30-minutes", "5-minutes-long-carriage"],
)
def test_town_matches_the_engine_under_other_rules(
    town_visits: pa.Table, rules: TracingRules
) -> None:
    args = (town_visits, town.CASE_WINDOWS, town.HOUSEHOLDS, rules)
    assert _prepared(*args).equals(_engine(*args))


def test_sparse_ids_and_unknown_residents_match_the_engine(town_visits: pa.Table) -> None:
    """Store ids far apart are numbered, not used as array positions; a case nobody saw (no
    visits, no household) has no contacts and breaks nothing."""
    shift = 10**12

    def shifted(table: pa.Table, *names: str) -> pa.Table:
        for name in names:
            column = pc.add(table.column(name), shift)
            table = table.set_column(table.schema.get_field_index(name), name, column)
        return table

    visits = shifted(town_visits, "resident_id", "place_id")
    households = shifted(town.HOUSEHOLDS, "resident_id")
    unseen = pa.table(
        {
            "case_id": [3],
            "resident_id": [999],
            "window_start_s": [town.T0],
            "window_end_s": [NOW_S],
        },
        schema=schema.CASE_WINDOWS,
    )
    windows = pa.concat_tables([shifted(town.CASE_WINDOWS, "resident_id"), unseen])
    isolations = shifted(town.CONTACT_ISOLATIONS, "resident_id")
    found = _prepared(visits, windows, households, isolations=isolations)
    assert found.num_rows == len(town.EXPECTED)
    assert found.equals(_engine(visits, windows, households, isolations=isolations))


def test_no_movements_leaves_household_contacts() -> None:
    empty = schema.VISITS.empty_table()
    found = _prepared(empty, town.CASE_WINDOWS, town.HOUSEHOLDS)
    assert found.equals(_engine(empty, town.CASE_WINDOWS, town.HOUSEHOLDS))
    assert set(found.column("rule").to_pylist()) == {"household"}
    nobody = VisitIndex(empty, None, DEFAULT_RULES)
    assert trace_prepared(nobody, case_windows=town.CASE_WINDOWS, now_s=NOW_S).num_rows == 0


def test_dense_ids_mark_unknown_ids() -> None:
    direct = DenseIds.of(np.array([3, 7]))
    numbered = DenseIds.of(np.array([10**12, 5 * 10**12]))
    assert direct.dense(np.array([7, 3, 8, -1])).tolist() == [7, 3, -1, -1]
    assert direct.dense(np.array([10**9])).tolist() == [-1]
    assert numbered.dense(np.array([5 * 10**12, 10**12, 2])).tolist() == [1, 0, -1]
    assert numbered.external(np.array([1])).tolist() == [5 * 10**12]


def test_city_contacts_match_the_engine(small_city: Path) -> None:
    """Every case of the synthetic city at once, and each case alone, with and without known
    isolations of close contacts."""
    expected = trace_city_directory(small_city)
    now = data_now(small_city)
    index = prepare_city_directory(small_city, DEFAULT_RULES)
    windows = case_windows_from_cases(pq.read_table(small_city / "cases.parquet"), now=now)
    found = trace_prepared(index, case_windows=windows, now_s=to_epoch_seconds(now))
    assert found.num_rows > 1_000
    assert found.equals(expected)
    one_by_one = [
        trace_prepared(index, case_windows=windows.slice(row, 1), now_s=to_epoch_seconds(now))
        for row in range(windows.num_rows)
    ]
    assert pa.concat_tables(one_by_one).equals(expected)
    unsorted = trace_prepared(
        index, case_windows=windows, now_s=to_epoch_seconds(now), is_ordered=False
    )
    order = [(name, "ascending") for name in expected.column_names]
    assert unsorted.sort_by(order).equals(expected.sort_by(order))
    isolated = pa.table(
        {
            "resident_id": expected.column("contact_resident_id").slice(0, 300),
            "isolated_at_s": pc.add(expected.column("overlap_end_s").slice(0, 300), 3600),
        }
    )
    with_isolations = trace_city_directory(small_city, contact_isolations=isolated)
    found = trace_prepared(
        index, case_windows=windows, now_s=to_epoch_seconds(now), contact_isolations=isolated
    )
    assert found.equals(with_isolations)
    assert found.num_rows < expected.num_rows


def test_small_blocks_and_chunks_give_the_same_rows(
    small_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs formed a few at a time (ranges split across blocks and chunks, blocks whose pairs
    are all dropped) give the rows of whole blocks."""
    now_s = to_epoch_seconds(data_now(small_city))
    index = prepare_city_directory(small_city, DEFAULT_RULES)
    windows = case_windows_from_cases(
        pq.read_table(small_city / "cases.parquet"), now=data_now(small_city)
    )
    expected = [
        trace_prepared(index, case_windows=windows, now_s=now_s),
        trace_prepared(index, case_windows=windows.slice(0, 1), now_s=now_s, is_ordered=False),
    ]
    monkeypatch.setattr(episodes, "BLOCK_PAIRS", 7)
    monkeypatch.setattr(prepared, "CHUNK_PAIRS", 5_000)
    assert trace_prepared(index, case_windows=windows, now_s=now_s).equals(expected[0])
    one = trace_prepared(index, case_windows=windows.slice(0, 1), now_s=now_s, is_ordered=False)
    assert one.num_rows > 5_000
    assert one.equals(expected[1])


def test_households_come_from_the_city_folder(small_city: Path) -> None:
    index = prepare_city_directory(small_city, DEFAULT_RULES)
    households = read_households(small_city)
    assert households is not None
    assert len(index.household_member_sorted) == households.num_rows


def test_duckdb_engine_replaces_a_table_by_a_view() -> None:
    """A step materialized in one run and a view in the next: the table is dropped by name."""
    from epicontrol.tracing.definitions import build

    with DuckDBEngine() as engine:
        engine.create_view("step", build("SELECT 1 AS x"), materialize=True)
        engine.create_view("step", build("SELECT 2 AS x"))
        engine.create_view("step", build("SELECT 3 AS x"), materialize=True)
        assert engine.query(build("SELECT x FROM step")).column("x").to_pylist() == [3]

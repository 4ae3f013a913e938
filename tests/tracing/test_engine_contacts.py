"""The tracing definitions on DuckDB against a hand-made town with every contact known."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest

from epicontrol.tracing import schema
from epicontrol.tracing.engine import trace
from epicontrol.tracing.engines import engine_for
from epicontrol.tracing.engines.duckdb import DuckDBEngine
from epicontrol.tracing.rules import DEFAULT_RULES, TracingRules
from epicontrol.tracing.visits import VisitsSource
from tests.tracing import engine_scenarios as town


def _trace(directory: Path, rules: TracingRules = DEFAULT_RULES) -> pa.Table:
    with DuckDBEngine() as engine:
        return trace(
            engine,
            visits_source=VisitsSource(directory / "movements", directory / "places.parquet"),
            case_windows=town.CASE_WINDOWS,
            households=town.HOUSEHOLDS,
            rules=rules,
            now_s=town.T0 + town.NOW_MINUTES * town.MINUTE,
            contact_isolations=town.CONTACT_ISOLATIONS,
        )


@pytest.fixture(scope="module")
def town_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return town.write_town(tmp_path_factory.mktemp("town"))


@pytest.fixture(scope="module")
def contacts(town_dir: Path) -> pa.Table:
    return _trace(town_dir)


def _pairs(contacts: pa.Table, degree: int) -> set[tuple[int, int]]:
    return {
        (row["case_id"], row["contact_resident_id"])
        for row in contacts.to_pylist()
        if row["degree"] == degree
    }


def test_every_contact_of_the_town_exactly(contacts: pa.Table) -> None:
    assert contacts.schema == schema.CONTACTS
    assert town.as_rows(contacts) == town.expected_rows()


def test_fourteen_minutes_is_not_a_close_contact_and_fifteen_is(contacts: pa.Table) -> None:
    close = _pairs(contacts, 1)
    assert (1, 2) not in close
    assert (1, 3) in close


def test_only_the_part_of_a_stay_inside_the_window_counts(contacts: pa.Table) -> None:
    close = _pairs(contacts, 1)
    assert (1, 5) in close and (1, 6) not in close  # window start
    assert (1, 9) in close and (1, 7) not in close  # window end
    assert (1, 8) not in close  # after the window


def test_household_members_are_close_contacts_for_the_whole_window(contacts: pa.Table) -> None:
    household = [r for r in contacts.to_pylist() if r["rule"] == "household" and r["degree"] == 1]
    assert {r["contact_resident_id"] for r in household} == {20, 21}
    assert all(r["place_id"] is None for r in household)


def test_same_carriage_of_the_same_train_at_the_same_time(contacts: pa.Table) -> None:
    carriage = [r for r in contacts.to_pylist() if r["rule"] == "same_carriage"]
    assert [(r["contact_resident_id"], r["minutes"]) for r in carriage] == [(30, 60)]


def test_secondary_contact_counts_only_between_exposure_and_isolation(contacts: pa.Table) -> None:
    via_3 = {r["contact_resident_id"] for r in contacts.to_pylist() if r["via_resident_id"] == 3}
    assert 41 in via_3  # met after resident 3's exposure
    assert 40 not in via_3  # met before it
    assert 42 not in via_3  # met after resident 3's isolation


def test_case_and_its_close_contacts_are_never_its_secondary_contacts(
    contacts: pa.Table,
) -> None:
    secondary = _pairs(contacts, 2)
    assert (1, 1) not in secondary and (1, 1) not in _pairs(contacts, 1)
    assert not secondary & _pairs(contacts, 1)


def test_point_scans_use_the_dwell_estimate_of_their_place_kind(contacts: pa.Table) -> None:
    close = _pairs(contacts, 1)
    assert (1, 50) in close  # supermarket: 30 minutes each, 20 together
    assert (1, 51) not in close  # pharmacy: 10 minutes each


def test_a_shorter_threshold_from_the_rules_finds_more(town_dir: Path) -> None:
    rules = replace(DEFAULT_RULES, min_overlap_minutes=10)
    close = _pairs(_trace(town_dir, rules), 1)
    assert {(1, 2), (1, 6), (1, 7)} <= close


def test_without_secondary_tracing_only_close_contacts(town_dir: Path) -> None:
    found = _trace(town_dir, replace(DEFAULT_RULES, trace_secondary_contacts=False))
    assert set(found.column("degree").to_pylist()) == {1}
    assert found.num_rows == sum(1 for row in town.EXPECTED if row[2] == 1)


def test_no_cases_gives_an_empty_contacts_table(town_dir: Path) -> None:
    with engine_for("duckdb") as engine:
        found = trace(
            engine,
            visits_source=VisitsSource(town_dir / "movements", town_dir / "places.parquet"),
            case_windows=schema.CASE_WINDOWS.empty_table(),
            households=None,
            now_s=town.T0,
        )
    assert found.num_rows == 0
    assert found.schema == schema.CONTACTS


def test_unknown_engine_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        engine_for("oracle")

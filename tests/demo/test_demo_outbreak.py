"""The seeded outbreak spreads only along co-locations that the movements record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def db(city_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for name in ("residents", "places", "ground_truth", "cases"):
        connection.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{city_dir / name}.parquet')"
        )
    connection.execute(
        "CREATE VIEW movements AS SELECT * FROM "
        f"read_parquet('{city_dir}/movements/*/*.parquet', hive_partitioning = false)"
    )
    yield connection
    connection.close()


def _count(db: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = db.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_the_outbreak_spreads_in_households_and_at_places(db: duckdb.DuckDBPyConnection) -> None:
    settings = dict(db.execute("SELECT setting, count(*) FROM ground_truth GROUP BY 1").fetchall())

    assert settings["imported"] == 5
    assert settings.get("household", 0) >= 1
    assert settings.get("place", 0) >= 1


def test_every_place_infection_was_a_recorded_co_location(db: duckdb.DuckDBPyConnection) -> None:
    # Both people were at the place, with check-in and check-out, together for 15 minutes or
    # more, and the exposure lies inside that overlap.
    unexplained = """
        SELECT count(*) FROM ground_truth g
        WHERE g.setting = 'place' AND NOT EXISTS (
            SELECT 1 FROM movements a JOIN movements b ON a.place_id = b.place_id
            WHERE a.resident_id = g.infector_id AND b.resident_id = g.infectee_id
              AND a.place_id = g.place_id
              AND a.left_at IS NOT NULL AND b.left_at IS NOT NULL
              AND least(a.left_at, b.left_at) - greatest(a.entered_at, b.entered_at)
                  >= INTERVAL 15 MINUTE
              AND g.exposure_at BETWEEN greatest(a.entered_at, b.entered_at)
                                    AND least(a.left_at, b.left_at))
    """
    assert _count(db, unexplained) == 0


def test_every_household_infection_is_within_one_household(db: duckdb.DuckDBPyConnection) -> None:
    unexplained = """
        SELECT count(*) FROM ground_truth g
        JOIN residents infector ON infector.id = g.infector_id
        JOIN residents infectee ON infectee.id = g.infectee_id
        WHERE g.setting = 'household' AND infector.household_id <> infectee.household_id
    """
    assert _count(db, unexplained) == 0
    assert _count(db, "SELECT count(*) FROM ground_truth WHERE setting = 'household' "
                      "AND place_id IS NOT NULL") == 0  # fmt: skip


def test_exposure_precedes_onset_and_follows_the_infectors_infection(
    db: duckdb.DuckDBPyConnection,
) -> None:
    assert _count(db, "SELECT count(*) FROM ground_truth WHERE onset_at <= exposure_at") == 0
    late = """
        SELECT count(*) FROM ground_truth g JOIN ground_truth infector
          ON infector.infectee_id = g.infector_id
        WHERE infector.exposure_at >= g.exposure_at
           OR g.exposure_date < infector.infectious_from
           OR g.generation <> infector.generation + 1
    """
    assert _count(db, late) == 0
    assert _count(db, "SELECT count(*) - count(DISTINCT infectee_id) FROM ground_truth") == 0


def test_cases_are_symptomatic_infections_reported_after_onset(
    db: duckdb.DuckDBPyConnection,
) -> None:
    wrong = """
        SELECT count(*) FROM cases c LEFT JOIN ground_truth g ON g.infectee_id = c.resident_id
        WHERE g.infectee_id IS NULL OR NOT g.is_symptomatic OR c.report_date <= c.onset_date
           OR c.onset_date <> g.onset_date
    """
    assert _count(db, "SELECT count(*) FROM cases") >= 1
    assert _count(db, wrong) == 0
    assert (
        _count(db, "SELECT count(*) FROM cases WHERE status NOT IN ('confirmed', 'suspected')") == 0
    )


def test_reported_cases_visit_a_fever_clinic_and_then_stop_moving(
    db: duckdb.DuckDBPyConnection,
) -> None:
    visits = """
        SELECT count(*) FROM cases c JOIN movements m ON m.resident_id = c.resident_id
        JOIN places p ON p.id = m.place_id
        WHERE m.day = c.report_date AND p.kind = 'fever_clinic'
          AND p.id = c.reported_at_place_id
    """
    reported_here = "SELECT count(*) FROM cases WHERE reported_at_place_id IS NOT NULL"
    assert _count(db, visits) == _count(db, reported_here)
    after = """
        SELECT count(*) FROM cases c JOIN movements m ON m.resident_id = c.resident_id
        WHERE m.day > c.report_date
    """
    assert _count(db, after) == 0

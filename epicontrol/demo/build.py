"""Entry points: build the synthetic city into the operational store, or as Parquet files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from time import perf_counter

from sqlalchemy import Connection, Engine

from epicontrol.core.crypto import vault_for
from epicontrol.core.errors import Conflict
from epicontrol.demo import sinks
from epicontrol.demo.city import City, CitySpec, Simulation, generate_city
from epicontrol.demo.logins import DemoLogin, create_demo_logins

# progress(description, steps done, steps in all)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class CitySummary:
    """What a build produced: row counts, where the files are, and the demo logins."""

    counts: dict[str, int]
    directory: Path
    first_day: date
    last_day: date
    index_case_ids: list[int]
    seconds: float
    logins: list[DemoLogin] = field(default_factory=list)


def _no_progress(_description: str, _done: int, _total: int) -> None:
    return None


def _simulate_to_parquet(
    city: City,
    directory: Path,
    report: Progress,
    done: int,
    total: int,
    store: Connection | None = None,
) -> tuple[Simulation, dict[str, int]]:
    """Live every day, writing each day's movements as it is drawn (memory stays bounded),
    and into the store's movements table too when a connection is given."""
    simulation = Simulation(city)
    records = stored = 0
    for offset, moves in enumerate(simulation.days()):
        report(f"Movements of {moves.day.isoformat()}", done + offset, total)
        if store is not None:
            stored += sinks.insert_movements(store, moves, first_record_id=records + 1)
        records += sinks.write_movements(directory, moves, first_record_id=records + 1)
    report("Writing the ground truth and the cases", done + city.spec.days, total)
    counts = {"movements": records, **sinks.write_outcomes(directory, simulation)}
    if store is not None:
        counts["movement_records_in_store"] = stored
    return simulation, counts


def build_city_into_db(
    engine: Engine,
    *,
    residents: int = 20_000,
    days: int = 14,
    seed: int = 2020,
    secret: str,
    data_dir: Path,
    start: date | None = None,
    progress: Progress | None = None,
) -> CitySummary:
    """Write the city into a migrated, empty store (movements included, as in/out records),
    its movements, ground truth and cases to `data_dir/city/` as Parquet, and one login per
    role.

    `secret` must be the deployment's secret key: it keys the hashes and the encryption.
    Raises Conflict if the store already holds divisions or residents.
    """
    began = perf_counter()
    report = progress or _no_progress
    total = days + 4
    directory = data_dir / "city"
    with engine.connect() as connection:
        if sinks.store_has_city(connection):
            raise Conflict(
                "the store already holds a city; reset it first (epicontrol demo --reset)"
            )
    report("Generating the city", 0, total)
    city = generate_city(CitySpec(residents=residents, days=days, seed=seed, start=start))
    vault = vault_for(secret)
    sinks.clear_outputs(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # One transaction: a failed build leaves the store empty rather than half filled.
    with engine.begin() as connection:
        report("Storing divisions, estates, places, households, residents", 1, total)
        counts = sinks.insert_static(connection, city, vault)
        simulation, outcome_counts = _simulate_to_parquet(
            city, directory, report, 2, total, store=connection
        )
        counts.update(outcome_counts)
        report("Creating demo logins", total - 1, total)
        logins = create_demo_logins(connection, simulation)
        counts["users"] = len(logins)
    sinks.write_manifest(directory, simulation, counts)
    report("Done", total, total)
    return _summary(simulation, counts, directory, began, logins)


def build_city_parquet(
    out_dir: Path,
    *,
    residents: int = 1_000_000,
    days: int = 14,
    seed: int = 2020,
    secret: str,
    start: date | None = None,
    progress: Progress | None = None,
) -> CitySummary:
    """Write the city as Parquet files under `out_dir`: divisions, housing_estates, places,
    households, residents, movements/day=YYYY-MM-DD/, ground_truth, cases, manifest.json."""
    began = perf_counter()
    report = progress or _no_progress
    total = days + 3
    report("Generating the city", 0, total)
    city = generate_city(CitySpec(residents=residents, days=days, seed=seed, start=start))
    sinks.clear_outputs(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report("Writing divisions, estates, places, households, residents", 1, total)
    counts = sinks.write_static_parquet(city, vault_for(secret), out_dir)
    simulation, outcome_counts = _simulate_to_parquet(city, out_dir, report, 2, total)
    counts.update(outcome_counts)
    sinks.write_manifest(out_dir, simulation, counts)
    report("Done", total, total)
    return _summary(simulation, counts, out_dir, began, [])


def _summary(
    simulation: Simulation,
    counts: dict[str, int],
    directory: Path,
    began: float,
    logins: list[DemoLogin],
) -> CitySummary:
    return CitySummary(
        counts=counts,
        directory=directory,
        first_day=simulation.city.start,
        last_day=simulation.city.last_day,
        index_case_ids=[int(row) + 1 for row in simulation.index_cases],
        seconds=perf_counter() - began,
        logins=logins,
    )

"""Bench data: the 1,000,000-resident synthetic city, loaded ONCE into a store for bench_dashboard.

    .venv/bin/python bench/dashboard_city.py                    # SQLite file, see DEFAULT_URL
    .venv/bin/python bench/dashboard_city.py --database-url \
        postgresql+psycopg://postgres@127.0.0.1:5432/dashboard1m  # an existing, empty database

The demo's own code builds it (generate_city, Simulation, demo/sinks.py, demo/store_cases.py),
so the store holds what `epicontrol demo` would put there for a city this size:
- divisions, estates, places, households and residents (sinks.insert_static);
- the movements of the last --movement-days days as in/out records (sinks.insert_movements):
  2 by default, so that each record of the last day has the person's record before it, as in a
  running store that keeps 28 days;
- the outbreak's detected cases, opened through the cases service with their onset and report
  dates (store_cases.open_detected_cases); --index-cases seeds a larger outbreak than the demo's;
- observations of close contacts (each case's household and --contacts-per-case residents of
  the case's grid) and of secondary contacts (one grid neighbour per close contact), starting
  on the case's report day, 14 days long (a plausible stand-in for traced contacts);
- a risk area (region code 4201) declared from the first day, and --arrivals rail and road
  arrivals on the last day with an origin, a third of them from it;
- fever self-checks of 2% of residents on the last day (3% of them with fever) and
  fever-clinic registrations for those with fever.
The store is migrated first; a store that already holds a city is left as it is (--reset
empties it). Then time the dashboard with bench/bench_dashboard.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

DEFAULT_URL = "sqlite:////tmp/epicontrol-dashboard-1m.db"
BENCH_SECRET = "bench-dashboard-secret-not-for-production"
RISK_REGION, SAFE_REGIONS = "420106", ("110105", "440305", "510107")
ARRIVAL_KINDS = {"railway_station": "rail", "expressway_exit": "vehicle", "bus_station": "scan"}
CHUNK_RECORDS = 200_000  # movement records converted to rows at a time (memory stays bounded)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--index-cases", type=int, default=300, help="demo default: 10 at 1M")
    parser.add_argument("--movement-days", type=int, default=2)
    parser.add_argument("--contacts-per-case", type=int, default=15)
    parser.add_argument("--arrivals", type=int, default=3_000)
    parser.add_argument("--reset", action="store_true", help="empty the store first")
    parser.add_argument(
        "--analyze",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="refresh planner statistics after loading (default: on PostgreSQL only, where"
        " autovacuum would; nothing runs ANALYZE on a deployed SQLite store)",
    )
    return parser


def _log(began: float, message: str) -> None:
    print(f"[{time.perf_counter() - began:7.1f} s] {message}", file=sys.stderr, flush=True)


def _reset(url: str) -> None:
    from sqlalchemy.engine import make_url

    from epicontrol.core import migrate

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    else:
        migrate.downgrade(url, "base")


def _local_noon(day: date) -> datetime:
    from epicontrol.core.local_time import LOCAL_TIME

    return datetime(day.year, day.month, day.day, 12, tzinfo=LOCAL_TIME)


def load(args: argparse.Namespace) -> None:
    """Build the city and fill the store at `args.database_url` (see the module docstring)."""
    from sqlalchemy import text

    from epicontrol.core import migrate
    from epicontrol.core.crypto import vault_for
    from epicontrol.core.db import build_engine
    from epicontrol.demo import sinks
    from epicontrol.demo.city import CitySpec, Simulation, generate_city

    began = time.perf_counter()
    if args.reset:
        _reset(args.database_url)
    migrate.upgrade(args.database_url)
    engine = build_engine(args.database_url)
    with engine.connect() as connection:
        if sinks.store_has_city(connection):
            _log(began, "the store already holds a city: nothing to do (--reset to rebuild)")
            return
    spec = CitySpec(
        residents=args.residents, days=args.days, seed=args.seed, index_cases=args.index_cases
    )
    city = generate_city(spec)
    _log(began, f"city generated: {args.residents:,} residents, {len(city.places.id):,} places")
    vault = vault_for(BENCH_SECRET)
    with engine.begin() as connection:
        counts = sinks.insert_static(connection, city, vault)
        _log(began, f"static city stored: {counts}")
        simulation = Simulation(city)
        first_stored_day = spec.days - args.movement_days
        records = rows = 0
        for offset, moves in enumerate(simulation.days()):
            if offset >= first_stored_day:
                rows += _insert_movements(connection, moves, first_record_id=records + 1)
            records += len(moves)
        _log(began, f"outbreak simulated; {rows:,} movement rows stored")
    now = _local_noon(city.last_day) + timedelta(hours=9)  # 21:00 on the last day
    cases = _open_cases(engine, simulation, now)
    _log(began, f"{cases:,} detected cases opened through the cases service")
    with engine.begin() as connection:
        extras = _extras(connection, city, simulation, args, now, vault)
        if args.analyze or (args.analyze is None and connection.dialect.name == "postgresql"):
            connection.execute(text("ANALYZE"))
    _log(began, f"stored {extras}; dashboard day {city.last_day}; store {args.database_url}")


def _insert_movements(connection: Any, moves: Any, *, first_record_id: int) -> int:
    from epicontrol.demo import sinks
    from epicontrol.demo.movements import DayMovements

    stored = 0
    for low in range(0, len(moves), CHUNK_RECORDS):
        part = slice(low, low + CHUNK_RECORDS)
        chunk = DayMovements(
            moves.day,
            moves.resident[part],
            moves.place[part],
            moves.kind[part],
            moves.entered[part],
            moves.left[part],
        )
        stored += sinks.insert_movements(connection, chunk, first_record_id=first_record_id + low)
    return stored


def _open_cases(engine: Any, simulation: Any, now: datetime) -> int:
    from epicontrol.demo import sinks, store_cases

    with tempfile.TemporaryDirectory(prefix="epicontrol-dashboard-") as directory:
        sinks.write_outcomes(Path(directory), simulation)
        return store_cases.open_detected_cases(engine, Path(directory) / "cases.parquet", now=now)


def _extras(
    connection: Any,
    city: Any,
    simulation: Any,
    args: argparse.Namespace,
    now: datetime,
    vault: Any,
) -> dict[str, int]:
    rng = np.random.default_rng(args.seed + 6)
    grid_ids = np.asarray(city.divisions.id)[city.resident_grid_row]
    return {
        "observations": _observations(connection, city, grid_ids, rng, args.contacts_per_case),
        "arrivals": _arrivals(connection, city, rng, args.arrivals),
        "self_checks": _self_checks(connection, city, grid_ids, rng, vault, now),
    }


def _case_rows(connection: Any) -> list[tuple[int, date]]:
    from sqlalchemy import select

    from epicontrol.cases.models import Case

    return [(int(r), d) for r, d in connection.execute(select(Case.resident_id, Case.report_date))]


def _observations(
    connection: Any, city: Any, grid_ids: np.ndarray, rng: np.random.Generator, per_case: int
) -> int:
    """Household members and grid neighbours of each case; a grid neighbour of each of those."""
    from sqlalchemy import insert

    from epicontrol.reports.monitoring_models import Observation, ObservationReason

    household = city.people.household
    members = np.argsort(household, kind="stable")
    starts = np.searchsorted(household[members], np.arange(household.max() + 2))
    by_grid = np.argsort(grid_ids, kind="stable")
    grid_sorted = grid_ids[by_grid]
    cases = _case_rows(connection)
    infected = {resident_id - 1 for resident_id, _ in cases}
    rows: dict[tuple[int, str], dict[str, Any]] = {}

    def neighbours(row: int, count: int) -> np.ndarray:
        low = np.searchsorted(grid_sorted, grid_ids[row], side="left")
        high = np.searchsorted(grid_sorted, grid_ids[row], side="right")
        return by_grid[rng.integers(low, high, count)]

    def observe(row: int, reason: ObservationReason, reported: date) -> None:
        if row in infected or (row, reason.value) in rows:
            return
        rows[(row, reason.value)] = {
            "resident_id": row + 1,
            "division_id": int(grid_ids[row]),
            "reason": reason.value,
            "starts_on": reported,
            "ends_on": reported + timedelta(days=13),  # 14 days from the last exposure
            "last_exposure_at": _local_noon(reported).astimezone(UTC),
            "created_at": _local_noon(reported).astimezone(UTC),
        }

    for resident_id, reported in cases:
        case_row = resident_id - 1
        home = household[case_row]
        close = [*members[starts[home] : starts[home + 1]], *neighbours(case_row, per_case)]
        for contact in close:
            observe(int(contact), ObservationReason.CLOSE_CONTACT, reported)
            secondary = int(neighbours(int(contact), 1)[0])
            observe(secondary, ObservationReason.SECONDARY_CONTACT, reported)
    values = list(rows.values())
    for low in range(0, len(values), 10_000):
        connection.execute(insert(Observation), values[low : low + 10_000])
    return len(values)


def _arrivals(connection: Any, city: Any, rng: np.random.Generator, count: int) -> int:
    """A declared risk area, and arrivals of the last day at stations and expressway exits."""
    from sqlalchemy import insert

    from epicontrol.movements.models import Movement, RiskArea

    connection.execute(
        insert(RiskArea),
        [
            {
                "region_code": RISK_REGION[:4],
                "name": "武汉市 Wuhan",
                "level": "high",
                "starts_on": city.start,
                "ends_on": None,
                "created_by": "bench",
                "created_at": datetime.now(UTC),
            }
        ],
    )
    kinds = np.asarray(city.places.kind)
    gates = np.flatnonzero(np.isin(kinds, list(ARRIVAL_KINDS)))
    residents = rng.choice(len(city.people.household), size=count, replace=False)
    origins = np.where(
        np.arange(count) % 3 == 0, RISK_REGION, rng.choice(np.array(SAFE_REGIONS), count)
    )
    day_start = _local_noon(city.last_day) - timedelta(hours=12)
    seconds = rng.integers(6 * 3600, 23 * 3600, count)
    rows = []
    for number in range(count):
        place = int(rng.choice(gates))
        at = (day_start + timedelta(seconds=int(seconds[number]))).astimezone(UTC)
        rows.append(
            {
                "client_uuid": f"bench-arrival-{number}",
                "kind": ARRIVAL_KINDS[str(kinds[place])],
                "direction": "in",
                "resident_id": int(residents[number]) + 1,
                "place_id": place + 1,
                "occurred_at": at,
                "day": at.date(),
                "received_at": at,
                "origin": str(origins[number]),
            }
        )
    connection.execute(insert(Movement), rows)
    return count


def _self_checks(
    connection: Any,
    city: Any,
    grid_ids: np.ndarray,
    rng: np.random.Generator,
    vault: Any,
    now: datetime,
) -> int:
    """Self-checks of 2% of residents on the last day; a fever in 3% of them, each of those
    also registered at their division's nearest fever clinic."""
    from sqlalchemy import insert

    from epicontrol.cases.models import ClinicRegistration
    from epicontrol.reports.models import SelfCheck

    people = len(city.people.household)
    checked = rng.choice(people, size=people // 50, replace=False)
    fever = rng.random(len(checked)) < 0.03
    day_start = _local_noon(city.last_day) - timedelta(hours=12)
    at = [
        (day_start + timedelta(seconds=int(s))).astimezone(UTC)
        for s in rng.integers(7 * 3600, 21 * 3600, len(checked))
    ]
    checks = [
        {
            "resident_id": int(row) + 1,
            "submitted_at": moment,
            "temperature": 38.2 if has_fever else 36.6,
            "fever": bool(has_fever),
            "triage": "fever_clinic" if has_fever else "home",
        }
        for row, has_fever, moment in zip(checked, fever, at, strict=True)
    ]
    for low in range(0, len(checks), 10_000):
        connection.execute(insert(SelfCheck), checks[low : low + 10_000])
    clinics = np.flatnonzero(np.asarray(city.places.kind) == "fever_clinic")
    clinic_division = np.asarray(city.divisions.id)[city.divisions.community_rows]
    registrations = [
        {
            "place_id": int(clinic) + 1,
            "division_id": int(clinic_division[city.places.community[clinic]]),
            "resident_id": int(row) + 1,
            "name_enc": vault.encrypt("病人"),
            "name_masked": "病*",
            "sex": "M" if city.people.is_male[row] else "F",
            "temperature": 38.2,
            "arrived_at": moment + timedelta(hours=1),
            "status": "waiting",
            "registered_by": "bench",
        }
        for row, has_fever, moment, clinic in zip(
            checked, fever, at, rng.choice(clinics, len(checked)), strict=True
        )
        if has_fever and moment + timedelta(hours=1) <= now
    ]
    if registrations:
        connection.execute(insert(ClinicRegistration), registrations)
    return len(checks)


def main() -> None:
    """Parse the command line and load the store."""
    load(_parser().parse_args())


if __name__ == "__main__":
    main()

"""Benchmark: the command dashboard's data (analytics.dashboard.compute) for the 1,000,000-resident
city, at city, district and community level (issue 6: "computes in < 2 s").

    .venv/bin/python bench/dashboard_city.py      # once: loads the store (SQLite file in /tmp)
    .venv/bin/python bench/bench_dashboard.py     # then: the timings

PostgreSQL: give both commands `--database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB`
(an existing, empty database for the first). For each division: one first call (cold: imports
and caches), then --repeats calls, each in a fresh session as a request would have; printed are
the median and the maximum of those, and of each part of them: every store read compute makes
(analytics/dashboard_store.py) and the trend analysis, timed inside the same calls, the rest
being DuckDB's aggregation and assembling; then the subdivision map
(divisions.boundaries.children_feature_collection), the machine, its load and the store's
row counts. `--risk-area CODE` adds a risk area for the run: with the code of one of the
city's divisions, the arrivals need each entry's previous place.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from bench.dashboard_city import DEFAULT_URL  # noqa: E402

STORE_READS = (
    "divisions",
    "cases",
    "population",
    "observations",
    "risk_area_arrivals",
    "fever_reports",
    "children",
    "estates",
)


@contextmanager
def _parts_timed(seconds: dict[str, float]) -> Iterator[None]:
    """Add the time of each store read and of the trend analysis made inside the block to
    `seconds` (compute reaches them through their modules, so wrapping those attributes sees
    every call; nothing else changes)."""
    from epicontrol.analytics import dashboard_store, dashboard_trends

    targets = [(dashboard_store, name, f"read {name}") for name in STORE_READS]
    targets.append((dashboard_trends, "analyse", "Rt, growth, forecast"))
    originals = [(module, name, getattr(module, name)) for module, name, _ in targets]

    def timed(function: Callable[..., Any], label: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - began

        return call

    for (module, name, label), (_, _, function) in zip(targets, originals, strict=True):
        setattr(module, name, timed(function, label))
    try:
        yield
    finally:
        for module, name, function in originals:
            setattr(module, name, function)


def _pick_divisions(db: Any) -> list[Any]:
    """The city, and the district and the community with the most cases."""
    from sqlalchemy import func, select

    from epicontrol.cases.models import Case
    from epicontrol.divisions.models import Division, DivisionLevel

    divisions = {d.id: d for d in db.scalars(select(Division))}
    city = next(d for d in divisions.values() if d.level == DivisionLevel.CITY.value)
    per_grid = db.execute(select(Case.division_id, func.count()).group_by(Case.division_id)).all()
    per_division: dict[int, int] = {}
    for grid_id, cases in per_grid:
        for part in divisions[grid_id].path.strip("/").split("/"):
            per_division[int(part)] = per_division.get(int(part), 0) + cases
    picked = [city]
    for level in (DivisionLevel.DISTRICT, DivisionLevel.COMMUNITY):
        at_level = [d for d in divisions.values() if d.level == level.value]
        picked.append(max(at_level, key=lambda d: (per_division.get(d.id, 0), -d.id)))
    return picked


def _counts(db: Any) -> str:
    from sqlalchemy import func, select

    from epicontrol.cases.models import Case
    from epicontrol.movements.models import Movement
    from epicontrol.people.models import Resident
    from epicontrol.reports.models import SelfCheck
    from epicontrol.reports.monitoring_models import Observation

    tables = {"residents": Resident, "movements": Movement, "cases": Case}
    tables |= {"observations": Observation, "self_checks": SelfCheck}
    counts = {name: db.scalar(select(func.count()).select_from(t)) for name, t in tables.items()}
    return ", ".join(f"{name} {n:,}" for name, n in counts.items())


def _last_day(db: Any) -> date:
    """The city's last simulated day: dashboard_city puts the self-checks on it (movements
    can run past midnight)."""
    from sqlalchemy import func, select

    from epicontrol.core.local_time import local_date
    from epicontrol.reports.models import SelfCheck

    return local_date(db.scalar(select(func.max(SelfCheck.submitted_at))))


def _machine(url: str) -> str:
    from sqlalchemy.engine import make_url

    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    backend = make_url(url).get_backend_name()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {backend}"


def _bench_division(factory: Any, division_id: int, day: date, repeats: int) -> None:
    from epicontrol.analytics.dashboard import compute
    from epicontrol.divisions.boundaries import children_feature_collection
    from epicontrol.divisions.models import Division

    def one_request(parts: dict[str, float]) -> tuple[float, Any]:
        with factory() as db, _parts_timed(parts):
            began = time.perf_counter()
            data = compute(db, division=db.get_one(Division, division_id), day=day)
            return time.perf_counter() - began, data

    first, _ = one_request({})
    runs = []
    for _ in range(repeats):
        parts: dict[str, float] = {}
        runs.append((parts, *one_request(parts)))
    totals = [total for _, total, _ in runs]
    data = runs[-1][2]
    with factory() as db:
        division = db.get_one(Division, division_id)
        print(
            f"{division.level} {division.name} ({division.code}): compute median"
            f" {statistics.median(totals):.3f} s, max {max(totals):.3f} s, first call {first:.3f} s"
            f" ({repeats} repeats; {data.headlines.confirmed.total:,} confirmed,"
            f" {data.headlines.under_observation.total:,} under observation,"
            f" {data.headlines.risk_area_arrivals.total:,} risk-area arrivals,"
            f" {data.headlines.fever_reports.total:,} fever reports,"
            f" {len(data.subdivisions)} subdivisions)"
        )
        _print_parts(runs)
        began = time.perf_counter()
        collection = children_feature_collection(db, division)
        print(
            f"    subdivision map, {len(collection['features'])} shapes (not part of compute):"
            f" {time.perf_counter() - began:.3f} s"
        )


def _print_parts(runs: list[tuple[dict[str, float], float, Any]]) -> None:
    """Median and max of each part over the runs; the rest is DuckDB and assembling."""
    labels = [*(f"read {name}" for name in STORE_READS), "Rt, growth, forecast"]
    for label in labels:
        values = [parts.get(label, 0.0) for parts, _, _ in runs]
        print(f"    {label:<24} median {statistics.median(values):.3f} s, max {max(values):.3f} s")
    rest = [total - sum(parts.values()) for parts, total, _ in runs]
    print(
        f"    {'DuckDB and the rest':<24} median {statistics.median(rest):.3f} s,"
        f" max {max(rest):.3f} s"
    )


@contextmanager
def _declared(factory: Any, code: str | None, day: date) -> Iterator[None]:
    """A risk area with `code` active on `day` while the block runs (none without a code)."""
    from sqlalchemy import delete

    from epicontrol.movements.models import RiskArea

    if code is None:
        yield
        return
    with factory() as db:
        area = RiskArea(region_code=code, name=f"bench {code}", starts_on=day, created_by="bench")
        db.add(area)
        db.commit()
        area_id = area.id
    print(f"risk area declared for this run: {code}")
    try:
        yield
    finally:
        with factory() as db:
            db.execute(delete(RiskArea).where(RiskArea.id == area_id))
            db.commit()


def main() -> None:
    """Time compute for the city, a district and a community of the loaded store."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--day", type=date.fromisoformat, help="default: the city's last day")
    parser.add_argument(
        "--risk-area",
        metavar="CODE",
        help="also declare a risk area with this region or division code for the run (removed"
        " after): with one of the city's own division codes, arrivals are found by each"
        " entry's previous place",
    )
    args = parser.parse_args()

    from epicontrol.core.db import build_engine, session_factory

    factory = session_factory(build_engine(args.database_url))
    with factory() as db:
        day = args.day or _last_day(db)
        picked = [d.id for d in _pick_divisions(db)]
        counts = _counts(db)
    print(f"machine: {_machine(args.database_url)}")
    print("command: " + " ".join([".venv/bin/python", *sys.argv]))
    print(f"store: {args.database_url}: {counts}; dashboard day {day}")
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with _declared(factory, args.risk_area, day):
        for division_id in picked:
            _bench_division(factory, division_id, day, args.repeats)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average before {' '.join(load_before)}, after {' '.join(load_after)}")


if __name__ == "__main__":
    main()

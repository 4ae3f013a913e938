"""Benchmark: tracing over prepared visits (prepared.py) on a city, against pandas and DuckDB.

Per case: close + secondary contacts of each of the city's cases over the whole data, one case
at a time, on the index of every day's visits (built once; its cost is printed separately).
Per day: the close contacts, on one day, of every case active that day and of random residents
taken as cases, from that day's visits, against a plain pandas merge-and-filter and the
engine's SQL on DuckDB over the same in-memory visits (and Spark local with --spark).
Every figure comes with the load average and the process's CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from epicontrol.tracing import prepared, schema
from epicontrol.tracing.engine import (
    CONTACT_ISOLATIONS,
    case_windows_from_cases,
    data_now,
    read_households,
    trace,
)
from epicontrol.tracing.engines import engine_for
from epicontrol.tracing.episodes import Pairing
from epicontrol.tracing.prepared import trace_prepared
from epicontrol.tracing.rules import DAY, DEFAULT_RULES, china_midnight, to_epoch_seconds
from epicontrol.tracing.visit_index import VisitIndex, read_visits
from epicontrol.tracing.visits import VisitsSource

T = TypeVar("T")
CLOSE_ONLY = replace(DEFAULT_RULES, trace_secondary_contacts=False)
# Columns that identify a close contact episode, for comparing the methods' answers.
EPISODE = ["case_id", "contact_resident_id", "rule", "place_id", "overlap_start_s"]
# The phases of trace_prepared timed by --case-row: (owner, function, label); labels starting
# with spaces are parts of the phase above them.
PHASES: tuple[tuple[Any, str, str], ...] = (
    (prepared, "_visits_in", "source visits (by resident, clipped)"),
    (prepared, "_co_location", "co-location: search + union + pairing"),
    (Pairing, "episodes", "  of which pairing (blocks, columns)"),
    (prepared, "_same_carriage", "same carriage"),
    (prepared, "_household", "household"),
    (prepared, "_close_contact_periods", "close-contact periods"),
    (prepared, "contacts_table", "Arrow table (schema.CONTACTS)"),
)


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _timed(run: Callable[[], T]) -> tuple[T, float, float]:
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _quantiles(values: list[float]) -> str:
    array = np.array(values)
    median, p90 = np.percentile(array, [50, 90])
    return f"median {median:,.0f}  p90 {p90:,.0f}  max {array.max():,.0f}"


def _isolated_a_day_after_their_case(windows: pa.Table, close: pa.Table) -> pa.Table:
    """Each close contact isolated 24 h after their case was (China NHC's target for tracing
    close contacts): the isolations a running service would know."""
    ends = windows.select(["case_id", "window_end_s"])
    joined = close.select(["case_id", "contact_resident_id"]).join(ends, "case_id")
    earliest = joined.group_by("contact_resident_id").aggregate([("window_end_s", "min")])
    return pa.table(
        {
            "resident_id": earliest.column("contact_resident_id"),
            "isolated_at_s": pc.add(earliest.column("window_end_s_min"), DAY),
        },
        schema=CONTACT_ISOLATIONS,
    )


def _per_case(
    index: VisitIndex, windows: pa.Table, now_s: int, isolations: pa.Table | None, repeat: int
) -> None:
    """Close + secondary contacts of each case alone; the distribution of time and rows."""
    times, rows, cpus = [], [], []
    for row in range(windows.num_rows):
        found, wall, cpu = _best(
            repeat,
            lambda row=row: trace_prepared(  # type: ignore[misc]
                index,
                case_windows=windows.slice(row, 1),
                now_s=now_s,
                contact_isolations=isolations,
                is_ordered=False,
            ),
        )
        times.append(wall * 1000)
        cpus.append(cpu * 1000)
        rows.append(found.num_rows)
        del found
    under = sum(t < 300 for t in times)
    print(f"    ms per case:   {_quantiles(times)}   ({under}/{len(times)} under 300 ms) {_load()}")
    print(f"    CPU ms:        {_quantiles(cpus)}")
    print(f"    rows per case: {_quantiles(rows)}   total {sum(rows):,}")
    print(
        f"    all cases, one after the other: {sum(times) / 1000:.1f} s "
        f"(CPU {sum(cpus) / 1000:.1f} s)"
    )
    slowest = int(np.argmax(times))
    print(f"    slowest: case row {slowest}, {rows[slowest]:,} rows in {times[slowest]:,.0f} ms")


@contextmanager
def _phase_clocks() -> Iterator[dict[str, float]]:
    """Wall seconds spent in each of PHASES while the block runs (the functions are wrapped
    with a clock and put back after)."""
    spent: dict[str, float] = {}
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in PHASES]

    def clocked(function: Callable[..., Any], label: str) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        return run

    for (owner, name, function), (_, _, label) in zip(originals, PHASES, strict=True):
        setattr(owner, name, clocked(function, label))
    try:
        yield spent
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


def _one_case(
    index: VisitIndex,
    windows: pa.Table,
    now_s: int,
    isolations: pa.Table | None,
    row: int,
    repeat: int,
) -> None:
    """One case (a row of the case windows), best of `repeat`, with the time of each phase of
    that best run."""
    best: tuple[float, float, int, dict[str, float]] | None = None
    for _ in range(repeat):
        with _phase_clocks() as spent:
            found, wall, cpu = _timed(
                lambda: trace_prepared(
                    index,
                    case_windows=windows.slice(row, 1),
                    now_s=now_s,
                    contact_isolations=isolations,
                    is_ordered=False,
                )
            )
        if best is None or wall < best[0]:
            best = (wall, cpu, found.num_rows, dict(spent))
        del found
    assert best is not None
    wall, cpu, rows, spent = best
    print(f"    {wall * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms), {rows:,} rows {_load()}")
    for _, _, label in PHASES:
        print(f"      {label:<40} {spent.get(label, 0.0) * 1000:7.1f} ms")
    phases = sum(v for k, v in spent.items() if not k.startswith(" "))
    print(f"      {'other (windows, exclusions, concat)':<40} {(wall - phases) * 1000:7.1f} ms")


def _random_cases(manifest: dict[str, Any], count: int, day: date) -> pa.Table:
    """`count` residents drawn at random (seeded) as cases, infectious all of `day`."""
    rng = random.Random(2020)
    residents = rng.sample(range(1, manifest["residents"] + 1), count)
    start = china_midnight(day)
    return pa.table(
        {
            "case_id": range(1, count + 1),
            "resident_id": residents,
            "window_start_s": [start] * count,
            "window_end_s": [start + DAY] * count,
        },
        schema=schema.CASE_WINDOWS,
    )


def _on_day(windows: pa.Table, day: date) -> pa.Table:
    """The case windows clipped to `day` (China time); cases not infectious that day dropped."""
    start, end = china_midnight(day), china_midnight(day + timedelta(days=1))
    clipped = pa.table(
        {
            "case_id": windows.column("case_id"),
            "resident_id": windows.column("resident_id"),
            "window_start_s": pc.max_element_wise(windows.column("window_start_s"), start),
            "window_end_s": pc.min_element_wise(windows.column("window_end_s"), end),
        },
        schema=schema.CASE_WINDOWS,
    )
    return clipped.filter(
        pc.greater(clipped.column("window_end_s"), clipped.column("window_start_s"))
    )


def _pandas_close_contacts(
    visits: pd.DataFrame, households: pd.DataFrame, windows: pd.DataFrame
) -> pd.DataFrame:
    """The plain baseline: the cases' visits clipped to their windows, merged with every visit
    on the place, filtered on the overlap; household members merged in."""
    minimum = DEFAULT_RULES.min_overlap_s
    mine = visits.merge(windows, on="resident_id")
    mine = mine[(mine.end_s > mine.window_start_s) & (mine.start_s < mine.window_end_s)]
    mine = mine.assign(
        start_s=np.maximum(mine.start_s, mine.window_start_s),
        end_s=np.minimum(mine.end_s, mine.window_end_s),
    )[["case_id", "resident_id", "place_id", "start_s", "end_s"]]
    pairs = mine.merge(visits, on="place_id", suffixes=("", "_other"))
    pairs = pairs.assign(
        overlap_start_s=np.maximum(pairs.start_s, pairs.start_s_other),
        overlap_end_s=np.minimum(pairs.end_s, pairs.end_s_other),
    )
    pairs = pairs[
        (pairs.overlap_end_s - pairs.overlap_start_s >= minimum)
        & (pairs.resident_id_other != pairs.resident_id)
    ]
    co_location = pd.DataFrame(
        {
            "case_id": pairs.case_id,
            "contact_resident_id": pairs.resident_id_other,
            "rule": "co_location",
            "place_id": pairs.place_id,
            "overlap_start_s": pairs.overlap_start_s,
        }
    )
    homes = windows.merge(households, on="resident_id").merge(
        households, on="household_id", suffixes=("", "_member")
    )
    homes = homes[homes.resident_id_member != homes.resident_id]
    household = pd.DataFrame(
        {
            "case_id": homes.case_id,
            "contact_resident_id": homes.resident_id_member,
            "rule": "household",
            "place_id": -1,
            "overlap_start_s": homes.window_start_s,
        }
    )
    return pd.concat([co_location, household], ignore_index=True)


def _episodes(table: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """The identifying columns, sorted, for comparing answers."""
    frame = table if isinstance(table, pd.DataFrame) else table.select(EPISODE).to_pandas()
    frame = frame.assign(place_id=frame.place_id.fillna(-1).astype("int64"))
    return frame.sort_values(EPISODE, ignore_index=True)[EPISODE]


def _best(repeat: int, run: Callable[[], T]) -> tuple[T, float, float]:
    """The fastest of `repeat` runs (others' jobs share the machine): result, wall, CPU."""
    best = _timed(run)
    for _ in range(repeat - 1):
        again = _timed(run)
        if again[1] < best[1]:
            best = again
    return best


def _sql_engine(name: str, day_input: DayInput, cases: pa.Table) -> pa.Table:
    """The engine's SQL definitions (close contacts only): DuckDB over the in-memory visits,
    Spark over the day's Parquet files (handing it 2.7 million rows from Python is slower
    than letting it read them)."""
    options = {"config": {"spark.driver.memory": "4g"}} if name == "spark" else {}
    visits = day_input.source if name == "spark" else day_input.visits
    with engine_for(name, **options) as engine:
        return trace(
            engine,
            visits_source=visits,
            case_windows=cases,
            households=day_input.households,
            rules=CLOSE_ONLY,
            now_s=day_input.now_s,
        )


def _variant(day_input: DayInput, label: str, cases: pa.Table, repeat: int) -> None:
    """One set of cases on the day: prepared, pandas, SQL engines; same answers checked."""
    index, now_s = day_input.index, day_input.now_s
    print(f"  {label} ({cases.num_rows:,} cases), best of {repeat}:")
    ours, wall, cpu = _best(
        repeat,
        lambda: trace_prepared(index, case_windows=cases, now_s=now_s, is_ordered=False),
    )
    print(f"    prepared:        {wall * 1000:8.1f} ms (CPU {cpu * 1000:5.0f} ms) {_load()}")
    ordered, ordered_s, ordered_cpu = _best(
        repeat, lambda: trace_prepared(index, case_windows=cases, now_s=now_s)
    )
    print(
        f"    prepared, sorted as the engine sorts: {ordered_s * 1000:8.1f} ms "
        f"(CPU {ordered_cpu * 1000:5.0f} ms) rows {ordered.num_rows:,} {_load()}"
    )
    windows = cases.to_pandas()
    theirs, pandas_s, pandas_cpu = _best(
        repeat, lambda: _pandas_close_contacts(day_input.frame, day_input.homes, windows)
    )
    same = _episodes(theirs).equals(_episodes(ours))
    print(
        f"    pandas:          {pandas_s * 1000:8.1f} ms (CPU {pandas_cpu * 1000:5.0f} ms) "
        f"rows {len(theirs):,}, same episodes: {same} {_load()}"
    )
    print(
        f"    ratio pandas / prepared: {pandas_s / wall:,.1f}x "
        f"(CPU {pandas_cpu / max(cpu, 1e-6):,.1f}x); "
        f"with the day's index built for this query alone: "
        f"{pandas_s / (wall + day_input.index_s):,.1f}x"
    )
    _sql_reference("duckdb", day_input, cases, ordered, "")


def _sql_reference(
    name: str, day_input: DayInput, cases: pa.Table, expected: pa.Table, label: str
) -> None:
    """The SQL engine's time on the same cases and day, and whether its rows are identical."""
    sql, sql_s, sql_cpu = _timed(lambda: _sql_engine(name, day_input, cases))
    print(
        f"    {name} SQL (once{', ' + label if label else ''}): {sql_s * 1000:8.1f} ms "
        f"(CPU {sql_cpu * 1000:5.0f} ms in this process) "
        f"identical rows: {sql.equals(expected)} {_load()}"
    )


@dataclass(frozen=True)
class DayInput:
    """One day's visits in each method's own form (none of these conversions is timed)."""

    source: VisitsSource
    visits: pa.Table
    households: pa.Table
    frame: pd.DataFrame
    homes: pd.DataFrame
    index: VisitIndex
    index_s: float
    now_s: int


def _day_input(city: Path, day: date) -> DayInput:
    """Read the day's movements; build its index (timed, printed)."""
    source = VisitsSource(city / "movements" / f"day={day.isoformat()}", city / "places.parquet")
    visits, wall, cpu = _timed(lambda: read_visits(source, DEFAULT_RULES, schema.VISITS.names))
    households = read_households(city)
    assert households is not None
    print(f"  {visits.num_rows:,} visits read in {wall:.1f} s (CPU {cpu:.1f} s) {_load()}")
    index, index_s, cpu = _timed(lambda: VisitIndex(visits, households, CLOSE_ONLY))
    print(
        f"  the day's index built in {index_s:.2f} s (CPU {cpu:.2f} s), "
        f"{index.nbytes / 2**20:,.0f} MiB {_load()}"
    )
    columns = ["resident_id", "place_id", "start_s", "end_s"]
    return DayInput(
        source=source,
        visits=visits,
        households=households,
        frame=visits.select(columns).to_pandas(),
        homes=households.to_pandas(),
        index=index,
        index_s=index_s,
        now_s=china_midnight(day + timedelta(days=1)),
    )


def _busiest_day(windows: pa.Table, first: date, days: int) -> date:
    """The day on which the most cases were infectious."""

    def active(day: date) -> int:
        return _on_day(windows, day).num_rows

    return max((first + timedelta(days=n) for n in range(days)), key=active)


def _day(
    city: Path, manifest: dict[str, Any], windows: pa.Table, day: date, args: argparse.Namespace
) -> None:
    """Close contacts of one day by each method, on the same day's visits."""
    day_input = _day_input(city, day)
    on_day = _on_day(windows, day)
    _variant(day_input, "every case infectious that day", on_day, args.repeat)
    for count in args.random_cases:
        cases = _random_cases(manifest, count, day)
        _variant(day_input, f"{count:,} random residents as cases", cases, args.repeat)
    if args.spark:
        # Last: the JVM it starts would slow the measurements after it.
        expected = trace_prepared(day_input.index, case_windows=on_day, now_s=day_input.now_s)
        print(f"  Spark local mode, for reference ({on_day.num_rows} cases infectious that day):")
        _sql_reference("spark", day_input, on_day, expected, "with the session start")


def _prepare(city: Path) -> VisitIndex:
    """The index of every day's visits, with the cost of reading and of indexing."""
    source = VisitsSource(city / "movements", city / "places.parquet")
    visits, wall, cpu = _timed(lambda: read_visits(source, DEFAULT_RULES))
    print(f"  {visits.num_rows:,} visits read in {wall:.1f} s (CPU {cpu:.1f} s) {_load()}")
    households = read_households(city)
    index, wall, cpu = _timed(lambda: VisitIndex(visits, households, DEFAULT_RULES))
    print(
        f"  index built in {wall:.1f} s (CPU {cpu:.1f} s): {len(index.key):,} visits of 15 min "
        f"or more, {index.nbytes / 2**20:,.0f} MiB; peak RSS {_peak_mib():,.0f} MiB {_load()}"
    )
    return index


def main() -> None:
    """Build the index, trace per case and per day, print every figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--city", type=Path, default=Path("/tmp/city1m"))
    parser.add_argument(
        "--day", type=date.fromisoformat, help="default: the day the most cases were infectious"
    )
    parser.add_argument(
        "--random-cases", type=int, nargs="*", default=[100, 1000], help="counts of residents"
    )
    parser.add_argument("--spark", action="store_true", help="also the day on Spark local mode")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each fast measurement")
    parser.add_argument(
        "--case-row",
        type=int,
        nargs="+",
        help="time only these rows of the case windows (the 14-day part), phase by phase",
    )
    args = parser.parse_args()
    city: Path = args.city
    if not (city / "manifest.json").exists():
        sys.exit(f"no city at {city}: .venv/bin/python bench/bench_city.py --out {city}")
    manifest = json.loads((city / "manifest.json").read_text())
    print(
        f"city={city} residents={manifest['residents']:,} days={manifest['days']} "
        f"movements={manifest['counts']['movements']:,} cases={manifest['counts']['cases']} "
        f"cpus={os.cpu_count()} {_load()}"
    )
    now = data_now(city)
    now_s = to_epoch_seconds(now)
    windows = case_windows_from_cases(pq.read_table(city / "cases.parquet"), now=now)

    if args.case_row is not None:
        index = _prepare(city)
        close = trace_prepared(index, case_windows=windows, now_s=now_s, is_secondary=False)
        isolations = _isolated_a_day_after_their_case(windows, close)
        for row in args.case_row:
            print(f"case row {row}, close + secondary, best of {args.repeat}:")
            for label, known in (("known", isolations), ("unknown", None)):
                print(f"  isolation of close contacts {label}:")
                _one_case(index, windows, now_s, known, row, args.repeat)
        return

    # The day first: after the 14-day index is freed, the small queries of the day were
    # measured up to 1.7 times slower (the allocator and the kernel busy with 4 GiB returned).
    first = date.fromisoformat(manifest["first_day"])
    day = args.day or _busiest_day(windows, first, manifest["days"])
    print(f"per day, close contacts only, from the visits of {day} alone:")
    _day(city, manifest, windows, day, args)
    print(f"  peak RSS {_peak_mib():,.0f} MiB")

    print(f"preparation of all {manifest['days']} days (once, as movements arrive):")
    index = _prepare(city)
    close = trace_prepared(index, case_windows=windows, now_s=now_s, is_secondary=False)
    isolations = _isolated_a_day_after_their_case(windows, close)
    print(
        f"per case, close + secondary over {manifest['days']} days, one case at a time, "
        f"best of {args.repeat} (an Arrow table of schema.CONTACTS, unsorted):"
    )
    print("  close contacts isolated 24 h after their case:")
    _per_case(index, windows, now_s, isolations, args.repeat)
    print("  isolation of close contacts unknown (free until the end of the data):")
    _per_case(index, windows, now_s, None, args.repeat)
    print(f"peak RSS of the whole run: {_peak_mib():,.0f} MiB {_load()}")


if __name__ == "__main__":
    main()

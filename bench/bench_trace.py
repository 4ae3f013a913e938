"""Benchmark: contact tracing of a Parquet city on DuckDB (and Spark local), with a baseline."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from epicontrol.tracing import definitions, schema
from epicontrol.tracing.definitions import build
from epicontrol.tracing.engine import (
    CONTACT_ISOLATIONS,
    case_windows_from_cases,
    data_now,
    read_households,
    trace_city_directory,
)
from epicontrol.tracing.engines.duckdb import DuckDBEngine
from epicontrol.tracing.rules import DAY, DEFAULT_RULES, TracingRules, to_epoch_seconds
from epicontrol.tracing.visits import VisitsSource, register_visits

T = TypeVar("T")

# The baseline: co-location by a hash join on the place alone, every visit there over the
# fortnight paired with every source visit, then filtered (no time buckets).
NAIVE_CO_LOCATION = """
SELECT COUNT(*) AS pairs
FROM source_visits AS s
JOIN visits AS o ON o.place_id = s.place_id
WHERE o.resident_id <> s.source_resident_id
  AND s.end_s - s.start_s >= :min_overlap_s
  AND LEAST(s.end_s, o.end_s) - GREATEST(s.start_s, o.start_s) >= :min_overlap_s
  AND NOT EXISTS (
      SELECT 1 FROM excluded_contacts AS x
      WHERE x.case_id = s.case_id AND x.resident_id = o.resident_id
  )
"""


def _timed(label: str, run: Callable[[], T]) -> tuple[T, float]:
    print(f"  running: {label}", file=sys.stderr, flush=True)
    began = time.perf_counter()
    result = run()
    return result, time.perf_counter() - began


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _by_degree(contacts: pa.Table) -> str:
    degrees = contacts.column("degree").to_pylist() if contacts.num_rows < 5_000_000 else None
    if degrees is None:
        counts = pc.value_counts(contacts.column("degree")).to_pylist()
        pairs = {c["values"]: c["counts"] for c in counts}
    else:
        pairs = {d: degrees.count(d) for d in set(degrees)}
    return ", ".join(f"degree {d}: {n:,}" for d, n in sorted(pairs.items()))


def _recall(city: Path, contacts: pa.Table) -> tuple[int, int]:
    """(true chains from a detected case found as close contacts, true chains of that kind)."""
    truth = pq.read_table(city / "ground_truth.parquet").to_pylist()
    cases = set(pq.read_table(city / "cases.parquet").column("resident_id").to_pylist())
    close = contacts.filter(pc.field("degree") == 1)
    found = set(
        zip(
            close.column("case_resident_id").to_pylist(),
            close.column("contact_resident_id").to_pylist(),
            strict=True,
        )
    )
    chains = [
        (row["infector_id"], row["infectee_id"])
        for row in truth
        if row["setting"] in ("place", "household") and row["infector_id"] in cases
    ]
    return sum(chain in found for chain in chains), len(chains)


def _isolated_a_day_after_their_case(city: Path, close: pa.Table, now: Any) -> pa.Table:
    """Contact isolations as if each close contact was isolated 24 h after their case was (the
    target China's NHC set for tracing close contacts), for the run with known isolations."""
    windows = case_windows_from_cases(pq.read_table(city / "cases.parquet"), now=now)
    end_of = dict(
        zip(
            windows.column("case_id").to_pylist(),
            windows.column("window_end_s").to_pylist(),
            strict=True,
        )
    )
    isolated: dict[int, int] = {}
    for case_id, contact in zip(
        close.column("case_id").to_pylist(),
        close.column("contact_resident_id").to_pylist(),
        strict=True,
    ):
        at = end_of[case_id] + DAY
        isolated[contact] = min(at, isolated.get(contact, at))
    return pa.table(
        {"resident_id": list(isolated), "isolated_at_s": list(isolated.values())},
        schema=CONTACT_ISOLATIONS,
    )


def _random_cases(manifest: dict[str, Any], count: int) -> pa.Table:
    """`count` residents drawn at random (seeded) as cases, with onset on a day of the data
    after the second (so their window lies in it) and report two days later."""
    rng = random.Random(2020)
    first = date.fromisoformat(manifest["first_day"])
    days = manifest["days"]
    onsets = [first + timedelta(days=rng.randrange(2, days)) for _ in range(count)]
    return pa.table(
        {
            "resident_id": rng.sample(range(1, manifest["residents"] + 1), count),
            "onset_date": onsets,
            "report_date": [onset + timedelta(days=2) for onset in onsets],
        }
    )


def _co_location_against_baseline(
    city: Path, rules: TracingRules, cases: int, memory_limit: str
) -> dict[str, float]:
    """Secondary-contact co-location of the first `cases` cases: the engine's bucketed join and
    the place-only baseline, on the same inputs in the same DuckDB, counting pairs."""
    now = data_now(city)
    with DuckDBEngine(memory_limit=memory_limit) as engine:
        register_visits(engine, VisitsSource(city / "movements", city / "places.parquet"), rules)
        windows = case_windows_from_cases(pq.read_table(city / "cases.parquet"), now=now)
        engine.register("case_windows", windows.slice(0, cases))
        households = read_households(city)
        engine.register("households", households or schema.HOUSEHOLDS.empty_table())
        engine.register("contact_isolations", CONTACT_ISOLATIONS.empty_table())
        for step in definitions.pipeline(rules, now_s=to_epoch_seconds(now)):
            if step.name == "secondary_co_location":
                break
            engine.create_view(step.name, step.query, materialize=step.materialize)
        sources = {
            "source_visits": "close_contact_visits",
            "excluded_contacts": "secondary_excluded",
        }
        values = {"bucket_s": rules.bucket_s, "min_overlap_s": rules.min_overlap_s}
        bucketed = build(definitions.CO_LOCATION, tables=sources, values=values).subquery("c")
        count = build("SELECT COUNT(*) AS pairs FROM c").from_(bucketed, copy=False)
        naive = build(NAIVE_CO_LOCATION, tables=sources, values=values)
        sources_count = engine.query(build("SELECT COUNT(*) AS n FROM close_contact_visits"))
        ours, ours_s = _timed("bucketed co-location", lambda: engine.query(count))
        theirs, theirs_s = _timed("place-only baseline", lambda: engine.query(naive))
    pairs, baseline_pairs = ours.column(0)[0].as_py(), theirs.column(0)[0].as_py()
    assert pairs == baseline_pairs, (pairs, baseline_pairs)
    return {
        "source_visits": sources_count.column(0)[0].as_py(),
        "pairs": pairs,
        "bucketed_s": ours_s,
        "baseline_s": theirs_s,
    }


def _print_baseline(city: Path, cases: int, memory_limit: str) -> None:
    """Run the baseline comparison and print it."""
    base = _co_location_against_baseline(city, DEFAULT_RULES, cases, memory_limit)
    print(
        f"secondary co-location of {cases} cases "
        f"({base['source_visits']:,.0f} source visits, {base['pairs']:,.0f} pairs): "
        f"bucketed {base['bucketed_s']:.1f} s, place-only baseline {base['baseline_s']:.1f} s, "
        f"ratio {base['baseline_s'] / base['bucketed_s']:.1f}x"
    )


def main() -> None:
    """Trace the city's cases and print times, rows in and out, and the baseline ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--city", type=Path, default=Path("/tmp/city1m"))
    parser.add_argument("--spark", action="store_true", help="also trace on Spark local mode")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory limit")
    parser.add_argument(
        "--baseline-cases",
        type=int,
        default=0,
        help="also count the secondary co-location of this many cases by the place-only join "
        "(slow: 3 cases took 6 minutes; 0 skips it)",
    )
    parser.add_argument(
        "--random-cases",
        type=int,
        default=100,
        help="also trace the close contacts of this many random residents (0: skip)",
    )
    parser.add_argument(
        "--events-city",
        type=Path,
        help="the same city in the store export's event layout, to trace its close contacts too",
    )
    parser.add_argument(
        "--skip-full", action="store_true", help="skip the run with every secondary contact"
    )
    args = parser.parse_args()
    city: Path = args.city
    if not (city / "manifest.json").exists():
        sys.exit(f"no city at {city}: .venv/bin/python bench/bench_city.py --out {city}")
    manifest = json.loads((city / "manifest.json").read_text())
    counts = manifest["counts"]
    print(
        f"city={city} residents={manifest['residents']:,} days={manifest['days']} "
        f"movements={counts['movements']:,} cases={counts['cases']} cpus={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    duck = {"memory_limit": args.memory_limit}
    close_rules = replace(DEFAULT_RULES, trace_secondary_contacts=False)

    close, seconds = _timed(
        "close contacts",
        lambda: trace_city_directory(city, rules=close_rules, engine_options=duck),
    )
    found, chains = _recall(city, close)
    print(f"duckdb close contacts only:  {seconds:7.1f} s  rows out {close.num_rows:>12,}")
    print(f"  recall of true chains from detected cases: {found}/{chains}")

    if args.events_city is not None:
        from_events, seconds = _timed(
            "close contacts from events",
            lambda: trace_city_directory(args.events_city, rules=close_rules, engine_options=duck),
        )
        print(
            f"duckdb close contacts only, event layout (in/out records paired by LEAD): "
            f"{seconds:7.1f} s  rows out {from_events.num_rows:>12,}  "
            f"identical: {from_events.equals(close)}"
        )

    if args.random_cases:
        cases = _random_cases(manifest, args.random_cases)
        many, seconds = _timed(
            "close contacts of random cases",
            lambda: trace_city_directory(city, cases=cases, rules=close_rules, engine_options=duck),
        )
        print(
            f"duckdb close contacts only, {args.random_cases} random residents as cases: "
            f"{seconds:7.1f} s  rows out {many.num_rows:>12,}"
        )

    now = data_now(city)
    isolations = _isolated_a_day_after_their_case(city, close, now)

    def with_isolations() -> pa.Table:
        return trace_city_directory(
            city,
            engine_options=duck,
            contact_isolations=isolations,
        )

    known, seconds = _timed("close + secondary, isolations known", with_isolations)
    print(
        f"duckdb + secondary, contacts isolated 24 h after their case: {seconds:7.1f} s  "
        f"rows out {known.num_rows:>12,} ({_by_degree(known)})"
    )
    del known
    if not args.skip_full:
        full, seconds = _timed(
            "close + secondary, isolation = now",
            lambda: trace_city_directory(city, engine_options=duck),
        )
        print(
            f"duckdb + secondary, contacts never isolated (now): {seconds:7.1f} s  "
            f"rows out {full.num_rows:>12,} ({_by_degree(full)}), "
            f"{full.nbytes / 2**30:.1f} GiB as Arrow"
        )
        del full
    print(f"peak RSS so far: {_peak_mib():,.0f} MiB")

    if args.baseline_cases:
        _print_baseline(city, args.baseline_cases, args.memory_limit)

    if args.spark:
        spark = {"config": {"spark.driver.memory": "6g"}}
        on_spark, seconds = _timed(
            "spark close contacts",
            lambda: trace_city_directory(
                city, engine_name="spark", rules=close_rules, engine_options=spark
            ),
        )
        same = on_spark.equals(close)
        print(
            f"spark local close contacts only (incl. ~20 s start-up): {seconds:7.1f} s  "
            f"rows out {on_spark.num_rows:>12,}  identical to duckdb: {same}"
        )


if __name__ == "__main__":
    main()

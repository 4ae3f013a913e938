"""Benchmark: generate the synthetic city as Parquet (1,000,000 residents, 14 days by default)."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from epicontrol.core.settings import DEMO_SECRET_KEY
from epicontrol.demo.build import build_city_parquet


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class _Phases:
    """Progress lines on stderr, and how long each phase took."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.current = ""
        self.seconds: dict[str, float] = {}

    def __call__(self, description: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.current:
            self.seconds[self.current] = now - self.started
        self.current, self.started = description, now
        print(f"  [{done:>2}/{total}] {description}", file=sys.stderr, flush=True)


def main() -> None:
    """Run one build and print time, rows per table and size on disk."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, help="output folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary output")
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="epicontrol-city-"))
    phases = _Phases()
    began = time.perf_counter()
    summary = build_city_parquet(
        out,
        residents=args.residents,
        days=args.days,
        seed=args.seed,
        secret=DEMO_SECRET_KEY,
        progress=phases,
    )
    elapsed = time.perf_counter() - began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"residents={args.residents:,} days={args.days} seed={args.seed} cpus={os.cpu_count()}")
    print(f"elapsed: {elapsed:.1f} s   peak RSS: {peak_mib:,.0f} MiB")
    files = {
        "divisions": "divisions.parquet",
        "housing_estates": "housing_estates.parquet",
        "places": "places.parquet",
        "households": "households.parquet",
        "residents": "residents.parquet",
        "movements": "movements",
        "infections": "ground_truth.parquet",
        "cases": "cases.parquet",
    }
    print(f"{'table':<16}{'rows':>14}{'MiB on disk':>14}")
    for name, file in files.items():
        mib = _size(out / file) / 2**20
        print(f"{name:<16}{summary.counts[name]:>14,}{mib:>14.1f}")
    print(f"{'total':<16}{'':>14}{_size(out) / 2**20:>14.1f}")
    movement_days = [s for name, s in phases.seconds.items() if name.startswith("Movements")]
    print(f"phase: generate static city       {phases.seconds['Generating the city']:6.1f} s")
    static = "Writing divisions, estates, places, households, residents"
    print(f"phase: protect + write static     {phases.seconds[static]:6.1f} s")
    print(
        f"phase: movements + outbreak       {sum(movement_days):6.1f} s "
        f"({sum(movement_days) / len(movement_days):.2f} s/day)"
    )
    print(f"output: {out}")
    if args.out is None and not args.keep:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()

"""Benchmark of checkpoint scan ingest over real HTTP, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_ingest.py --backend both --workers 2 --concurrency 64
    .venv/bin/python bench/bench_ingest.py --crash          # kill -9 under full load

For each backend: a fresh store with residents, signed passes and gate devices (bench/
ingest_data.py); a real uvicorn process on loopback; a load generator in another process
(bench/ingest_load.py) driving it at a fixed concurrency. Printed, per backend:
  - the HTTP ceiling: GET /healthz (one SELECT 1) at the same concurrency;
  - single scans: acknowledged per second, p50/p99 latency;
  - batches of --batch-size scans: rows per second, latency per batch;
  - the same rows straight through the driver (no HTTP), as the store's own baseline;
  - a check that every acknowledged scan is stored (the table holds exactly what was acked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from bench import ingest_baseline  # noqa: E402
from bench.ingest_data import (  # noqa: E402
    BENCH_SECRET,
    MOVEMENT_INDEX_VARIANTS,
    Store,
    drop_pg_database,
    new_pg_database,
    prepare,
)
from bench.ingest_server import PostgresCpu, Server  # noqa: E402
from epicontrol.core.db import build_engine  # noqa: E402
from epicontrol.movements import group_commit  # noqa: E402
from epicontrol.movements.models import Movement  # noqa: E402

LOAD = Path(__file__).resolve().parent / "ingest_load.py"
CEILING_CONCURRENCY = 10


def run_load(server: Server, store: Store, job: dict[str, Any], work: Path) -> dict[str, Any]:
    """Run the load generator in its own process; returns its result."""
    job = {
        "host": "127.0.0.1",
        "port": server.port,
        "device_keys": store.device_keys,
        "payloads": store.payloads,
        **job,
    }
    job_path, result_path = work / "job.json", work / "result.json"
    job_path.write_text(json.dumps(job))
    subprocess.run([sys.executable, str(LOAD), str(job_path), str(result_path)], check=True)
    result: dict[str, Any] = json.loads(result_path.read_text())
    return result


def _batches(
    server: Server, store: Store, url: str, args: argparse.Namespace, work: Path, *, upload: bool
) -> dict[str, Any]:
    """Batches to /api/scans/batch (stored before the answer), or uploads to /api/scans/upload
    (landed, then moved in the background: the time until all are moved is measured too)."""
    name = "upload" if upload else "batch"
    batch = {
        "mode": "batch",
        "concurrency": args.batch_concurrency,
        "batch_size": args.batch_size,
        "batches": args.batches,
        "batch_path": f"/api/scans/{name}",
        "batch_format": args.upload_format if upload else "json",
    }
    server_cpu = server.cpu_seconds()
    postgres_cpu = PostgresCpu(make_url(url).database or "")
    postgres_cpu.start()
    figures = {name: run_load(server, store, batch, work)}
    used = server.cpu_seconds() - server_cpu, postgres_cpu.stop()
    rows = max(figures[name]["batch_rows"], 1)
    figures[f"{name}_cpu"] = {"server": used[0] / rows * 1e6, "postgresql": used[1] / rows * 1e6}
    if upload:
        figures["drain"] = _drain(url, figures[name])
    return figures


def _drain(url: str, batch: dict[str, Any]) -> dict[str, float]:
    """Wait until the movers have moved every upload into movements; the time it took after
    the last upload was acknowledged, and the rate from the first upload to the last move."""
    engine = build_engine(url)
    started = time.monotonic()
    with engine.connect() as conn:
        while conn.scalar(text("SELECT count(*) FROM scan_uploads")):
            conn.commit()
            time.sleep(0.05)
    drained = time.monotonic() - started
    engine.dispose()
    return {
        "seconds": drained,
        "rows_per_second": batch["batch_rows"] / (batch["seconds"] + drained),
    }


def stored_rows(url: str) -> int:
    engine = build_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(Movement)) or 0
    engine.dispose()
    return count


def bench_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Prepare a store, serve it, load it; returns every figure measured."""
    url = (
        f"sqlite:///{work / 'bench.db'}" if backend == "sqlite" else new_pg_database("bench_ingest")
    )
    figures: dict[str, Any] = {}
    try:
        started = time.monotonic()
        store = prepare(
            url,
            residents=args.residents,
            gates=args.gates,
            history=args.history,
            movement_index=args.movement_index,
        )
        print(f"{backend}: store prepared in {time.monotonic() - started:.0f} s", flush=True)
        profiled: dict[str, Any] = {}
        if args.profile:  # cProfile in each worker (bench/ingest_profile.py)
            args.profile.mkdir(parents=True, exist_ok=True)
            profiled = {
                "app": "bench.ingest_profile:create_app",
                "env": {
                    "INGEST_PROFILE_DIR": str(args.profile.resolve()),
                    "INGEST_CPROFILE": "1" if args.cprofile else "",
                },
            }
        server = Server(url, BENCH_SECRET, workers=args.workers, **profiled)
        server.start()
        try:
            common = {"concurrency": args.concurrency, "duration": args.duration}
            # /healthz is a sync endpoint: FastAPI runs it and its session's teardown in a
            # 40-thread pool, and above the engine's pool size (15 on SQLite) concurrent
            # requests deadlock until the pool timeout; so the ceiling runs at 10 connections.
            if not args.profile:  # keep the profile to scans
                figures["ceiling"] = run_load(
                    server,
                    store,
                    {**common, "concurrency": CEILING_CONCURRENCY, "mode": "get"},
                    work,
                )
            if args.only != "batch":
                single = {**common, "mode": "single", "warmup": args.warmup}
                # Enough for 10,000 scans/s; the client makes more if they run out.
                single["prebuilt"] = int((args.warmup + args.duration) * 10_000)
                server_cpu = server.cpu_seconds()
                postgres_cpu = PostgresCpu(make_url(url).database or "")
                postgres_cpu.start()
                figures["single"] = run_load(server, store, single, work)
                used = server.cpu_seconds() - server_cpu, postgres_cpu.stop()
                figures["single_cpu"] = _cpu_per_scan(used, figures, backend == "postgresql")
                if args.profile:  # let the writer threads end (and write their profiles)
                    time.sleep(group_commit.WRITER_IDLE_SECONDS + 1)
            if args.only != "single":
                figures.update(_batches(server, store, url, args, work, upload=False))
                if args.upload:
                    figures.update(_batches(server, store, url, args, work, upload=True))
        finally:
            server.stop()
        if args.profile and "single" in figures:
            figures["threads_cpu"] = _threads_cpu(args.profile, figures["single"]["answered_rows"])
        figures["stored"] = stored_rows(url)
        figures["acked"] = args.history + sum(
            figures[load]["answered_rows"]
            for load in ("single", "batch", "upload")
            if load in figures
        )
        if not args.no_baseline:
            base = ingest_baseline.postgresql if backend == "postgresql" else ingest_baseline.sqlite
            figures["baseline"] = base(
                url, residents=args.residents, batch_size=args.batch_size, seconds=5
            )
        return figures
    finally:
        if backend == "postgresql":
            drop_pg_database(url)


def _line(label: str, concurrency: int, rate: float, unit: str, load: dict[str, Any]) -> str:
    latency = f"p50 {load['p50_ms']:7.1f} ms  p99 {load['p99_ms']:7.1f} ms"
    return f"{label:<24} c={concurrency:>3}: {rate:8.0f} {unit:<7} {latency}  {load['statuses']}"


def _cpu_per_scan(
    used: tuple[float, float], figures: dict[str, Any], on_postgres: bool
) -> dict[str, float]:
    """Microseconds of CPU per acknowledged single scan: server, PostgreSQL, load generator."""
    load = figures["single"]
    scans = max(load["answered_rows"], 1)
    return {
        "server": used[0] / scans * 1e6,
        "postgresql": used[1] / scans * 1e6 if on_postgres else 0.0,
        "client": load["cpu_seconds_running"] / scans * 1e6,
    }


def _threads_cpu(profile: Path, scans: int) -> dict[str, float]:
    """Microseconds of CPU per scan of the event-loop threads and of the scan writers (from
    bench/ingest_profile.py's files); the files are then removed for the next backend."""
    used = {"loop": 0.0, "writer": 0.0}
    for path in profile.glob("*.cpu"):
        used[path.name.split("-")[0]] += float(path.read_text())
        path.rename(path.with_suffix(".cpu-done"))
    figures = {name: seconds / max(scans, 1) * 1e6 for name, seconds in used.items()}
    groups = [0, 0]
    for path in profile.glob("*.groups"):
        for n, count in enumerate(path.read_text().split()):
            groups[n] += int(count)
        path.rename(path.with_suffix(".groups-done"))
    figures["group"] = groups[1] / max(groups[0], 1)
    return figures


def report(backend: str, figures: dict[str, Any], args: argparse.Namespace) -> None:
    """Print one backend's figures."""
    index = f", movement index {args.movement_index}"
    print(
        f"\n== {backend}: {args.workers} uvicorn worker(s), {args.residents} passes, "
        f"{args.gates} gates, {args.history} earlier scans{index}"
    )
    if "ceiling" in figures:
        ceiling = figures["ceiling"]
        rate = ceiling["ok_per_second"]
        print(_line("GET /healthz (ceiling)", CEILING_CONCURRENCY, rate, "req/s", ceiling))
    if "single" in figures:
        single = figures["single"]
        rate = single["ok_per_second"]
        print(_line("single scans", args.concurrency, rate, "acks/s", single))
        cpu = figures["single_cpu"]
        total = sum(cpu.values())
        print(
            f"  CPU per acknowledged scan: server {cpu['server']:.0f} us, PostgreSQL backends "
            f"{cpu['postgresql']:.0f} us, load generator {cpu['client']:.0f} us: "
            f"{total:.0f} us in all, so at most {2e6 / total:.0f} scans/s on 2 idle cores"
        )
        if "threads_cpu" in figures:
            threads = figures["threads_cpu"]
            print(
                f"  of the server's: event loops {threads['loop']:.0f} us, scan writers "
                f"{threads['writer']:.0f} us, the rest "
                f"{cpu['server'] - threads['loop'] - threads['writer']:.0f} us; "
                f"{threads['group']:.1f} scans per group commit"
            )
    for name, label in (("batch", "batches"), ("upload", "uploads")):
        if name not in figures:
            continue
        batch = figures[name]
        label = f"{label} of {args.batch_size}"
        print(_line(label, args.batch_concurrency, batch["rows_per_second"], "rows/s", batch))
        cpu = figures[f"{name}_cpu"]
        print(
            f"  CPU per acknowledged row: server {cpu['server']:.1f} us, PostgreSQL backends "
            f"{cpu['postgresql']:.1f} us"
        )
    if "drain" in figures:
        drain = figures["drain"]
        print(
            f"  uploads moved into movements {drain['seconds']:.1f} s after the last answer: "
            f"{drain['rows_per_second']:.0f} rows/s from the first upload to the last move"
        )
    for name, rate in figures.get("baseline", {}).items():
        print(f"baseline, driver only, {name:<18}: {rate:8.0f} rows/s")
    verdict = "ok" if figures["stored"] == figures["acked"] else "MISMATCH"
    print(
        f"acknowledged {figures['acked']} scans (history included), stored {figures['stored']}: "
        f"{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=64, help="open connections, singles")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--residents", type=int, default=2_000, help="passes in circulation")
    parser.add_argument("--gates", type=int, default=64, help="places, one device each")
    parser.add_argument("--history", type=int, default=500_000, help="earlier scans stored")
    parser.add_argument(
        "--movement-index",
        choices=sorted(MOVEMENT_INDEX_VARIANTS),
        default="as-migrated",
        help="the per-resident index of movements: as migrated (resident, time, place), or "
        "0005's (resident, place, time) that migration 0027 replaced",
    )
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-concurrency", type=int, default=2)
    parser.add_argument(
        "--upload",
        action="store_true",
        help="also send the batches to /api/scans/upload (landed, moved in the background)",
    )
    parser.add_argument(
        "--upload-format",
        choices=["json", "arrow"],
        default="json",
        help="body of the uploads: JSON, or prebuilt Arrow IPC streams",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="measure the CPU of each worker thread (event loop, scan writers) into DIR",
    )
    parser.add_argument("--cprofile", action="store_true", help="with --profile: cProfile too")
    parser.add_argument("--only", choices=["single", "batch"], help="skip the other load")
    parser.add_argument("--no-baseline", action="store_true", help="skip the driver baselines")
    parser.add_argument("--crash", action="store_true", help="kill -9 under load instead")
    parser.add_argument("--crash-after", type=float, default=5.0, help="seconds of load")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}; command: {' '.join(sys.argv)}"
    )
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            work = Path(os.environ.get("BENCH_WORK", tmp))
            started = time.monotonic()
            if args.crash:
                from bench.ingest_crash import crash_backend

                crash_backend(backend, args, work)
            else:
                report(backend, bench_backend(backend, args, work), args)
            print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()

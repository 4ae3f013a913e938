"""Benchmark of the risk-status lookup (GET /api/risk-status/me) over real HTTP.

    .venv/bin/python bench/bench_risk_status.py --backend sqlite --concurrency 16 --duration 10

A fresh store (bench/ingest_data.py) with --residents residents, each with a resident login and
a stored status (1% red cases, 5% yellow fever reports, the rest green); a real uvicorn process
on loopback (bench/ingest_server.py); and a lean HTTP/1.1 keep-alive client on asyncio in
another process (this file, `--load`), each of its connections asking as a random resident
with that resident's bearer token (a closed loop: latency at a fixed concurrency).
Printed: requests/s, p50/p99/max latency, the server's CPU time per request (from /proc, all
its processes: meaningful on a loaded machine, where wall-clock figures are not), the load
client's CPU, the load average and the exact command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

Outcome = tuple[float, float, int]  # sent at, latency (s), HTTP status


# --- the load client (runs as its own process; imports nothing from epicontrol) -------------


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return int(head[9:12]), body


async def _connection(job: dict[str, Any], number: int, out: list[Outcome], colours: dict) -> None:
    rng = random.Random(number)
    tokens = job["tokens"]
    requests = [
        f"GET /api/risk-status/me HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {t}\r\n\r\n"
        for t in tokens
    ]
    encoded = [r.encode() for r in requests]
    reader, writer = await asyncio.open_connection(job["host"], job["port"])
    start, stop = job["measure_from"], job["stop_at"]
    # Priming asks for every resident once (connection n takes residents n, n + C, ...).
    order = iter(range(number, len(encoded), job["concurrency"])) if job.get("prime") else None
    while (now := time.monotonic()) < stop:
        pick = rng.randrange(len(encoded)) if order is None else next(order, None)
        if pick is None:
            break
        status, body = await _exchange(reader, writer, encoded[pick])
        done = time.monotonic()
        if now >= start:
            out.append((now, done - now, status))
            if len(colours) < 3 and status == 200:
                colour = json.loads(body)["colour"]
                colours[colour] = colours.get(colour, 0) + 1
    writer.close()


async def _load(job: dict[str, Any]) -> dict[str, Any]:
    began = time.monotonic()
    job["measure_from"] = began + job["warmup"]
    job["stop_at"] = job["measure_from"] + job["duration"]
    outcomes: list[Outcome] = []
    colours: dict[str, int] = {}
    cpu = time.process_time()
    await asyncio.gather(
        *(_connection(job, n, outcomes, colours) for n in range(job["concurrency"]))
    )
    latencies = sorted(o[1] * 1000 for o in outcomes if o[2] == 200)
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[str(outcome[2])] = statuses.get(str(outcome[2]), 0) + 1

    def pct(fraction: float) -> float:
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))]

    elapsed = time.monotonic() - job["measure_from"] if job.get("prime") else job["duration"]
    return {
        "seconds": elapsed,
        "requests": len(outcomes),
        "ok": len(latencies),
        "statuses": statuses,
        "per_second": len(latencies) / elapsed,
        "p50_ms": pct(0.50) if latencies else float("nan"),
        "p99_ms": pct(0.99) if latencies else float("nan"),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "client_cpu_seconds": time.process_time() - cpu,
        "colours_seen": sorted(colours),
    }


def load_main(job_path: str, result_path: str) -> None:
    """Entry point of the load process."""
    job = json.loads(Path(job_path).read_text())
    try:
        import uvloop

        result = uvloop.run(_load(job))
    except ImportError:
        result = asyncio.run(_load(job))
    Path(result_path).write_text(json.dumps(result))


# --- the store and the run --------------------------------------------------------------------


def prepare_store(url: str, residents: int) -> list[str]:
    """Residents with logins and stored statuses; returns a bearer token per resident."""
    from sqlalchemy import insert, select

    from bench.ingest_data import BENCH_SECRET, prepare
    from epicontrol.cases.models import Case
    from epicontrol.core.auth import issue_token
    from epicontrol.core.db import build_engine, session_scope, utcnow
    from epicontrol.core.models import User
    from epicontrol.core.policy import Role
    from epicontrol.health_code import status
    from epicontrol.people.models import Resident
    from epicontrol.reports.models import SelfCheck

    prepare(url, residents=residents, gates=1)
    engine = build_engine(url)
    with session_scope(engine) as db:
        rows = db.execute(select(Resident.id, Resident.division_id).order_by(Resident.id)).all()
        db.execute(
            insert(User),
            [
                {
                    "username": f"resident-{rid}",
                    "password_hash": "!",  # no password login: the bench uses tokens
                    "role": Role.RESIDENT.value,
                    "division_id": division,
                    "resident_id": rid,
                }
                for rid, division in rows
            ],
        )
        ids = [rid for rid, _ in rows]
        today = utcnow().date()
        db.add_all(  # 1% open cases: red
            Case(
                case_number=f"B{rid:08d}",
                resident_id=rid,
                division_id=division,
                status="confirmed",
                onset_date=today,
                report_date=today,
                created_by="bench",
            )
            for rid, division in rows[::100]
        )
        db.add_all(
            SelfCheck(resident_id=rid, temperature=38.0, fever=True, triage="fever_clinic")
            for rid in ids[1::20]  # 5% fever reports: yellow
        )
        db.flush()
        status.recompute(db, ids)  # every resident gets a stored status
    with session_scope(engine) as db:
        users = db.execute(select(User.id).where(User.role == Role.RESIDENT.value)).scalars()
        tokens = [issue_token(BENCH_SECRET, uid) for uid in users]
    engine.dispose()
    return tokens


def run(args: argparse.Namespace, backend: str, work: Path) -> dict[str, Any]:
    from bench.ingest_data import BENCH_SECRET, drop_pg_database, new_pg_database
    from bench.ingest_server import Server

    url = new_pg_database("bench_risk") if backend == "postgresql" else f"sqlite:///{work}/r.db"
    try:
        started = time.monotonic()
        tokens = prepare_store(url, args.residents)
        took = time.monotonic() - started
        print(f"[{backend}] store ready: {len(tokens)} residents in {took:.0f} s")
        server = Server(url, BENCH_SECRET, workers=args.workers)
        server.start()
        try:
            job = {"host": "127.0.0.1", "port": server.port, "tokens": tokens}
            # Priming: every resident asks once, as a day of use would; each is a cache miss
            # (a database read), measured too. With several workers, repeat so each has seen
            # most residents.
            cpu_before = server.cpu_seconds()
            prime = {**job, "concurrency": args.concurrency, "warmup": 0, "duration": 3600}
            cold = _run_load({**prime, "prime": True}, work)
            cold["server_cpu_us_per_request"] = (
                (server.cpu_seconds() - cpu_before) / max(1, cold["requests"]) * 1e6
            )
            for _ in range(args.workers - 1):
                _run_load({**prime, "prime": True}, work)
            cpu_before = server.cpu_seconds()
            measured = {**job, "concurrency": args.concurrency, "duration": args.duration}
            result = _run_load({**measured, "warmup": 0}, work)
            server_cpu = server.cpu_seconds() - cpu_before
        finally:
            server.stop()
        result["server_cpu_seconds"] = server_cpu
        result["cold"] = cold
        total = result["requests"] or 1
        result["server_cpu_us_per_request"] = server_cpu / total * 1e6
        return result
    finally:
        if backend == "postgresql":
            drop_pg_database(url)


def _run_load(job: dict[str, Any], work: Path) -> dict[str, Any]:
    job_path, result_path = work / "job.json", work / "result.json"
    job_path.write_text(json.dumps(job))
    subprocess.run(
        [sys.executable, __file__, "--load", str(job_path), str(result_path)], check=True
    )
    result: dict[str, Any] = json.loads(result_path.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--load", nargs=2, metavar=("JOB", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load_main(*args.load)
        return
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print("command: " + " ".join([".venv/bin/python", *sys.argv]))
    for backend in backends:
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        with tempfile.TemporaryDirectory() as tmp:
            r = run(args, backend, Path(tmp))
        load_after = Path("/proc/loadavg").read_text().split()[:3]
        print(
            f"[{backend}] GET /api/risk-status/me, {args.residents} residents, "
            f"concurrency {args.concurrency}, {args.workers} worker(s), {args.duration:.0f} s: "
            f"{r['per_second']:,.0f} requests/s, p50 {r['p50_ms']:.2f} ms, "
            f"p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.1f} ms; "
            f"server CPU {r['server_cpu_us_per_request']:.0f} µs/request; "
            f"client CPU {r['client_cpu_seconds'] / max(1, r['requests']) * 1e6:.0f} µs/request; "
            f"statuses {r['statuses']}; colours seen {r['colours_seen']}; "
            f"load average before {' '.join(load_before)}, after {' '.join(load_after)}"
        )
        c = r["cold"]
        print(
            f"[{backend}] first lookup of each resident (cache misses): {c['per_second']:,.0f} "
            f"requests/s, p50 {c['p50_ms']:.2f} ms, p99 {c['p99_ms']:.2f} ms; "
            f"server CPU {c['server_cpu_us_per_request']:.0f} µs/request"
        )


if __name__ == "__main__":
    main()

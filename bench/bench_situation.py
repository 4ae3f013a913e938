"""Benchmark of the public situation page (GET /public/situation) over real HTTP.

    .venv/bin/python bench/bench_situation.py --concurrency 16 --duration 10

A store with the demo city (`epicontrol demo`, --residents residents, --days days of movements
and its outbreak's cases) and a month of feed figures (portal/feed_demo.seed_demo); a real
uvicorn on loopback (bench/ingest_server.py: httptools, uvloop, no access log, --workers); and
a lean HTTP/1.1 keep-alive client on asyncio in --clients other processes (this file, `--load`),
each connection sending its next request as soon as the previous one is answered (a closed loop:
latency at a fixed concurrency), as anonymous visitors' browsers do (Accept-Encoding: gzip unless
--no-gzip). The page is served by the public-page
cache (portal/cache.py) except the first request of each 15 s; `--vary-query` adds a distinct
query string to every request, so each one misses the cache and renders the page (what the
cache saves). Printed: requests/s, p50/p90/p99/max latency, errors, the server's and the
clients' CPU time per request (from /proc: meaningful on a loaded machine), the load average
and the exact command. --database-url reuses a store that already has a city (and builds none).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

BENCH_SECRET = "bench-situation-secret-not-for-production"
CHECK = {"zh": "实时疫情".encode(), "en": b"Epidemic situation"}

# --- the load client (runs as its own process; imports nothing from epicontrol) -------------


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = -1
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length < 0:
        raise ValueError("an answer without Content-Length")
    body = await reader.readexactly(length) if length else b""
    return int(head[9:12]), body


def _plain(body: bytes) -> bytes:
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


async def _connection(job: dict[str, Any], number: int, out: list[tuple[float, int]]) -> None:
    path, vary = job["path"], job["vary_query"]
    sep = "&" if "?" in path else "?"
    extra = "Accept-Encoding: gzip, deflate, br\r\n" if job["gzip"] else ""
    head = f"HTTP/1.1\r\nHost: bench\r\nAccept: text/html\r\n{extra}\r\n"
    fixed = f"GET {path} {head}".encode()
    reader, writer = await asyncio.open_connection(job["host"], job["port"])
    start, stop, sent = job["measure_from"], job["stop_at"], 0
    while (now := time.monotonic()) < stop:
        request = fixed
        if vary:
            target = f"{path}{sep}n={job['client']}-{number}-{sent}"
            request = f"GET {target} {head}".encode()
        try:
            status, body = await _exchange(reader, writer, request)
            # Each connection's first page is read in full; later ones are only counted.
            if status == 200 and sent == 0 and job["check"].encode() not in _plain(body):
                status = -1  # not the page asked for
            sent += 1
        except (OSError, ValueError, asyncio.IncompleteReadError):
            status = 0
            writer.close()
            reader, writer = await asyncio.open_connection(job["host"], job["port"])
        if now >= start or status == -1:  # a wrong page counts even in the warm-up
            out.append((time.monotonic() - now, status))
    writer.close()


async def _load(job: dict[str, Any]) -> dict[str, Any]:
    job["measure_from"] = time.monotonic() + job["warmup"]
    job["stop_at"] = job["measure_from"] + job["duration"]
    outcomes: list[tuple[float, int]] = []
    cpu = time.process_time()
    await asyncio.gather(*(_connection(job, n, outcomes) for n in range(job["concurrency"])))
    statuses: dict[str, int] = {}
    for _latency, status in outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "latencies_ms": sorted(latency * 1000 for latency, status in outcomes if status == 200),
        "statuses": statuses,
        "client_cpu_seconds": time.process_time() - cpu,
    }


def load_main(job_path: str, result_path: str) -> None:
    """Entry point of a load process."""
    job = json.loads(Path(job_path).read_text())
    try:
        import uvloop

        result = uvloop.run(_load(job))
    except ImportError:
        result = asyncio.run(_load(job))
    Path(result_path).write_text(json.dumps(result))


# --- the store, the server and the run --------------------------------------------------------


def build_store(url: str, residents: int, days: int, data_dir: Path) -> None:
    """The demo city (the demo's own command) and a month of feed figures ending today."""
    env = {
        **os.environ,
        "EPICONTROL_DATABASE_URL": url,
        "EPICONTROL_SECRET_KEY": BENCH_SECRET,
        "EPICONTROL_DATA_DIR": str(data_dir),
    }
    command = [sys.executable, "-m", "epicontrol.cli", "demo", "--residents", str(residents)]
    command += ["--days", str(days)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    from epicontrol.core.db import build_engine, session_scope
    from epicontrol.portal.feed_demo import seed_demo

    engine = build_engine(url)
    with session_scope(engine) as db:
        seed_demo(db)
    engine.dispose()


def _run_clients(job: dict[str, Any], clients: int, work: Path) -> dict[str, Any]:
    """Start `clients` load processes together and merge what they measured."""
    processes = []
    for client in range(clients):
        job_path, result_path = work / f"job{client}.json", work / f"result{client}.json"
        job_path.write_text(json.dumps({**job, "client": client}))
        command = [sys.executable, __file__, "--load", str(job_path), str(result_path)]
        processes.append((subprocess.Popen(command), result_path))
    merged: dict[str, Any] = {"latencies_ms": [], "statuses": {}, "client_cpu_seconds": 0.0}
    for process, result_path in processes:
        if process.wait() != 0:
            raise RuntimeError("a load process failed")
        result = json.loads(result_path.read_text())
        merged["latencies_ms"] += result["latencies_ms"]
        merged["client_cpu_seconds"] += result["client_cpu_seconds"]
        for status, n in result["statuses"].items():
            merged["statuses"][status] = merged["statuses"].get(status, 0) + n
    merged["latencies_ms"].sort()
    return merged


def _summary(result: dict[str, Any], duration: float, server_cpu: float) -> dict[str, Any]:
    latencies = result.pop("latencies_ms")
    requests = sum(result["statuses"].values())

    def pct(fraction: float) -> float:
        if not latencies:
            return float("nan")
        return float(latencies[min(len(latencies) - 1, int(fraction * len(latencies)))])

    return {
        **result,
        "requests": requests,
        "ok": len(latencies),
        "errors": requests - len(latencies),
        "per_second": len(latencies) / duration,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "server_cpu_us_per_request": server_cpu / max(1, requests) * 1e6,
        "client_cpu_us_per_request": result["client_cpu_seconds"] / max(1, requests) * 1e6,
    }


# The serving process's background jobs (web/workers.py): on a freshly built demo city they spend
# the first minutes catching up (tracing its cases, refreshing monitoring), which is not the
# page's cost. --background keeps them on.
QUIET_SERVER = {
    "EPICONTROL_TRACING_IN_BACKGROUND": "false",
    "EPICONTROL_MONITORING_REFRESH_SECONDS": "0",
    "EPICONTROL_RISK_STATUS_SWEEP_SECONDS": "0",
    "EPICONTROL_RETENTION_PURGE_INTERVAL_SECONDS": "0",
}


def _check(path: str, lang: str) -> str:
    """Text the answer must hold: the page's title, or the JSON's first key."""
    if path.startswith("/api/"):
        return '"local"'
    return CHECK[lang or "zh"].decode() if path == "/public/situation" else ""


def _server_env(background: bool) -> dict[str, str]:
    return {} if background else QUIET_SERVER


def run(args: argparse.Namespace, url: str, work: Path) -> dict[str, Any]:
    from bench.ingest_server import Server

    server = Server(url, BENCH_SECRET, workers=args.workers, env=_server_env(args.background))
    server.start()
    try:
        job = {
            "host": "127.0.0.1",
            "port": server.port,
            "path": f"{args.path}?lang={args.lang}" if args.lang else args.path,
            "check": args.check or _check(args.path, args.lang),
            "vary_query": args.vary_query,
            "gzip": args.gzip,
            "concurrency": max(1, args.concurrency // args.clients),
            "warmup": args.warmup,
            "duration": args.duration,
        }
        # The timed part starts after the warm-up; CPU is read around the whole load run and
        # scaled to the requests made in it (warm-up requests are few and cost the same).
        cpu_before = server.cpu_seconds()
        result = _run_clients(job, args.clients, work)
        server_cpu = (
            (server.cpu_seconds() - cpu_before) * args.duration / (args.duration + args.warmup)
        )
    finally:
        server.stop()
    return _summary(result, args.duration, server_cpu)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a store with a city already (default: build one)")
    parser.add_argument("--residents", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--path", default="/public/situation")
    parser.add_argument("--lang", choices=("zh", "en", ""), default="")
    parser.add_argument("--check", default="", help="text each connection's first answer holds")
    parser.add_argument("--vary-query", action="store_true", help="every request misses the cache")
    parser.add_argument(
        "--gzip",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send Accept-Encoding: gzip as browsers do (the cache then answers gzipped)",
    )
    parser.add_argument(
        "--background", action="store_true", help="keep the server's background jobs running"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="connections in all")
    parser.add_argument("--clients", type=int, default=1, help="load processes")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--load", nargs=2, metavar=("JOB", "RESULT"), help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = _parser().parse_args()
    if args.load:
        load_main(*args.load)
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print("command: " + " ".join([".venv/bin/python", *sys.argv]))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.database_url
        if url is None:
            url = f"sqlite:///{work / 'situation.db'}"
            began = time.monotonic()
            build_store(url, args.residents, args.days, work / "data")
            took = time.monotonic() - began
            print(f"store: demo city of {args.residents} residents in {took:.0f} s")
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        r = run(args, url, work)
        load_after = Path("/proc/loadavg").read_text().split()[:3]
    what = "every request a cache miss" if args.vary_query else "cached"
    what += ", gzip accepted" if args.gzip else ", no gzip"
    print(
        f"GET {args.path} ({what}), concurrency {args.concurrency} in {args.clients} client(s), "
        f"{args.workers} worker(s), {args.duration:.0f} s: {r['per_second']:,.0f} requests/s, "
        f"p50 {r['p50_ms']:.2f} ms, p90 {r['p90_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
        f"max {r['max_ms']:.1f} ms; errors {r['errors']} (statuses {r['statuses']}); "
        f"server CPU {r['server_cpu_us_per_request']:.0f} µs/request, "
        f"client CPU {r['client_cpu_us_per_request']:.0f} µs/request; "
        f"load average before {' '.join(load_before)}, after {' '.join(load_after)}"
    )


if __name__ == "__main__":
    main()

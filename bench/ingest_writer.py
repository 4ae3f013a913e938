"""CPU per scan of the group-commit writer alone, by group size (no HTTP, no event loop).

    .venv/bin/python bench/ingest_writer.py --backend both --groups 1 8 16 32 64 256

On a prepared store (bench/ingest_data.py, as bench_ingest.py makes it) the writer's own
`_commit` stores groups of G scans (random passes, 64 gates) in one thread, as a lane does;
printed: this thread's CPU per scan (time.thread_time, so waits do not count) and, on
PostgreSQL, its backend's. The shared machine's load changes these figures far less than it
changes the HTTP benchmark's rates: this is the writer's share of `CPU per acknowledged scan`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from bench.ingest_data import (  # noqa: E402
    BENCH_SECRET,
    drop_pg_database,
    new_pg_database,
    prepare,
)
from bench.ingest_server import PostgresCpu  # noqa: E402
from epicontrol.core.db import build_engine, session_factory  # noqa: E402
from epicontrol.movements import devices, group_commit, ingest  # noqa: E402
from epicontrol.movements.schemas import ScanIn  # noqa: E402


def _groups(loop: asyncio.AbstractEventLoop, size: int, count: int, store: object) -> list:
    """`count` groups of `size` checked scans, as the event loop hands them to a lane."""
    payloads: list[str] = store.payloads  # type: ignore[attr-defined]
    keys: list[str] = store.device_keys  # type: ignore[attr-defined]
    url: str = store.url  # type: ignore[attr-defined]
    engine = build_engine(url)
    with session_factory(engine)() as db:
        contexts = [devices.authenticate(db, key) for key in keys]
    engine.dispose()
    rng = random.Random(size)
    groups = []
    for _ in range(count):
        group = []
        for _ in range(size):
            scan = ScanIn(
                uuid=uuid.uuid4(),
                code=rng.choice(payloads),
                occurred_at=datetime.now(UTC),
                temperature=37.6 if rng.random() < 0.01 else 36.5,
            )
            pass_id, problem = ingest.check_single(scan, secret=BENCH_SECRET, now=datetime.now(UTC))
            pending = group_commit._Pending.__new__(group_commit._Pending)
            pending.device, pending.scan = rng.choice(contexts), scan
            pending.pass_id, pending.problem, pending.loop = pass_id, problem, loop
            pending.future, pending.outcome = loop.create_future(), None
            group.append(pending)
        groups.append(group)
    return groups


def run(backend: str, sizes: list[int], scans_per_size: int, history: int, work: Path) -> None:
    url = f"sqlite:///{work / 'w.db'}" if backend == "sqlite" else new_pg_database("bench_writer")
    try:
        store = prepare(url, residents=2_000, gates=64, history=history)
        engine = build_engine(url)
        lane = group_commit._Lane(session_factory(engine))
        loop = asyncio.new_event_loop()
        print(f"\n== {backend}: writer alone, {history} earlier scans")
        for size in sizes:
            groups = _groups(loop, size, max(1, scans_per_size // size), store)
            lane._commit(groups[0])  # warm: connection, prepared statements
            postgres = PostgresCpu(make_url(url).database or "")
            postgres.start()
            cpu, wall = time.thread_time(), time.monotonic()
            for group in groups[1:]:
                lane._commit(group)
            cpu, wall = time.thread_time() - cpu, time.monotonic() - wall
            backend_cpu = postgres.stop() if backend == "postgresql" else 0.0
            scans = size * (len(groups) - 1)
            failed = sum(not isinstance(p.outcome, ingest.ScanResult) for g in groups for p in g)
            print(
                f"group of {size:>4}: writer {cpu / scans * 1e6:6.0f} us/scan"
                + (f", PostgreSQL {backend_cpu / scans * 1e6:5.0f} us/scan" if backend_cpu else "")
                + f", {wall / (len(groups) - 1) * 1e3:6.1f} ms/group wall"
                + (f", {failed} FAILED" if failed else "")
            )
        if lane._connection is not None:
            lane._connection.close()
        engine.dispose()
    finally:
        if backend == "postgresql":
            drop_pg_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 8, 16, 32, 64, 256])
    parser.add_argument("--scans", type=int, default=4_000, help="scans per group size")
    parser.add_argument("--history", type=int, default=500_000)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="bench-writer-") as tmp:
            run(backend, args.groups, args.scans, args.history, Path(tmp))


if __name__ == "__main__":
    main()

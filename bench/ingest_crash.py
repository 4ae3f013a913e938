"""Crash check of scan ingest at full rate (bench_ingest.py --crash).

Single scans and batches at full rate from two load-generator processes; after --crash-after
seconds the whole server (supervisor and workers) gets SIGKILL, and is started again on the same
store at once while the clients go on. Then: every scan answered 2xx must be stored exactly once,
none twice; every request sent (answered or not) is sent again, and each acknowledged scan must
come back `stored: false` (it was durable) while every scan ends stored exactly once.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.ingest_data import BENCH_SECRET, Store, drop_pg_database, new_pg_database, prepare
from bench.ingest_server import Server
from epicontrol.core.db import build_engine
from epicontrol.movements.models import Movement

LOAD = Path(__file__).resolve().parent / "ingest_load.py"
CRASH_BATCH_SIZE = 1_000


def _start_load(server: Server, store: Store, job: dict[str, Any], work: Path, name: str) -> Any:
    job = {"host": "127.0.0.1", "port": server.port, "device_keys": store.device_keys, **job}
    job["payloads"] = store.payloads
    (work / f"{name}.job.json").write_text(json.dumps(job))
    command = [sys.executable, str(LOAD), str(work / f"{name}.job.json")]
    return subprocess.Popen([*command, str(work / f"{name}.result.json")])


def _stored_counts(url: str) -> dict[str, int]:
    engine = build_engine(url)
    with engine.connect() as conn:
        query = select(Movement.client_uuid, func.count()).group_by(Movement.client_uuid)
        counts = {uuid: count for uuid, count in conn.execute(query)}
    engine.dispose()
    return counts


def crash_backend(backend: str, args: argparse.Namespace, work: Path) -> None:
    """Run the crash check on one backend and print what it found; exits 1 on a failure."""
    url = f"sqlite:///{work / 'crash.db'}" if backend == "sqlite" else new_pg_database("crash")
    try:
        store = prepare(url, residents=args.residents, gates=args.gates)
        server = Server(url, BENCH_SECRET, workers=args.workers)
        server.start()
        seconds = args.crash_after * 2 + 5
        loads = {
            "single": {"mode": "single", "concurrency": args.concurrency},
            "batch": {
                "mode": "batch",
                "concurrency": args.batch_concurrency,
                "batch_size": CRASH_BATCH_SIZE,
                "batches": 10_000,
            },
        }
        clients = {
            name: _start_load(
                server, store, {**job, "duration": seconds, "record": True}, work, name
            )
            for name, job in loads.items()
        }
        time.sleep(args.crash_after)
        server.kill()
        killed_at = time.monotonic()
        server.start()
        print(
            f"{backend}: killed with SIGKILL, answering again after "
            f"{time.monotonic() - killed_at:.1f} s"
        )
        for client in clients.values():
            client.wait()
        sent = []
        for name in loads:
            sent += json.loads((work / f"{name}.result.json").read_text())["sent"]
        _check(backend, url, server, store, sent, work)
        server.stop()
    finally:
        if backend == "postgresql":
            drop_pg_database(url)


def _check(
    backend: str, url: str, server: Server, store: Store, sent: list[Any], work: Path
) -> None:
    acknowledged = {u for uuids, _, status, _ in sent if 200 <= status < 300 for u in uuids}
    unanswered = sum(1 for _, _, status, _ in sent if status == 0)
    refused = sum(1 for _, _, status, _ in sent if status >= 300)
    counts = _stored_counts(url)
    lost = [u for u in acknowledged if counts.get(u) != 1]
    twice = [u for u, n in counts.items() if n > 1]
    replay = [
        ["/api/scans/batch" if body.startswith('{"scans"') else "/api/scans", body, key]
        for _, body, _, key in sent
    ]
    job = {"mode": "replay", "concurrency": 16, "duration": 3600, "replay": replay}
    client = _start_load(server, store, job, work, "replay")
    client.wait()
    answers = json.loads((work / "replay.result.json").read_text())["answers"]
    retry_refused = sum(1 for status, _ in answers if status != 201)
    stored_again = 0
    for status, answer in answers:
        if status == 201:
            body = json.loads(answer)
            for result in body.get("results", [body]):
                stored_again += result["uuid"] in acknowledged and result["stored"]
    everything = {u for uuids, _, _, _ in sent for u in uuids}
    final = _stored_counts(url)
    not_once = sum(1 for u in everything if final.get(u) != 1)
    print(
        f"{backend}: {len(sent)} requests ({len(everything)} scans), {len(acknowledged)} scans "
        f"acknowledged, {unanswered} requests unanswered, {refused} refused"
    )
    print(
        f"{backend}: acknowledged but not stored once: {len(lost)}; stored twice: {len(twice)}; "
        f"after retrying every request: refused {retry_refused}, acknowledged scans stored "
        f"again {stored_again}, scans not stored exactly once {not_once}"
    )
    if lost or twice or retry_refused or stored_again or not_once or refused:
        print(f"{backend}: CRASH CHECK FAILED")
        sys.exit(1)
    print(f"{backend}: crash check passed")

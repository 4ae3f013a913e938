"""Load generator for the scan-ingest benchmark, run as its own process.

    python bench/ingest_load.py JOB.json RESULT.json

A minimal HTTP/1.1 keep-alive client on asyncio (uvloop when installed): C connections, each
sending its next request as soon as the previous one is answered (a closed loop, so latency is
measured at a fixed concurrency). It is deliberately bare -- no httpx, no request objects -- so
that on a 2-core machine the client takes as little CPU from the server as possible.
It imports nothing from epicontrol.

JOB.json: {"host", "port", "mode": "get" | "single" | "batch" | "replay", "concurrency",
"duration", "warmup", "device_keys", "payloads", "path" (get), "batches", "batch_size",
"batch_path" and "batch_format" ("json" or "arrow") (batch), "replay": [[path, body], ...]
sent once each, answers kept (replay),
"record": keep every request sent and the status it got (crash runs), "prebuilt": single
scans to make before starting (single)}.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

Outcome = tuple[float, float, int]  # sent at, latency (s), HTTP status (0: no answer)


def single_body(payloads: list[str], rng: random.Random) -> tuple[str, bytes]:
    """One scan as JSON: a random resident's pass, now, a temperature (1 in 100 feverish)."""
    scan_uuid = str(uuid.uuid4())
    temperature = 37.6 if rng.random() < 0.01 else round(36.0 + rng.random(), 1)
    body = (
        f'{{"uuid":"{scan_uuid}","code":"{rng.choice(payloads)}",'
        f'"occurred_at":"{datetime.now(UTC).isoformat()}","temperature":{temperature}}}'
    )
    return scan_uuid, body.encode()


def batch_body(payloads: list[str], size: int, rng: random.Random) -> tuple[list[str], bytes]:
    """A batch of `size` scans (a device back online), as JSON."""
    items = [single_body(payloads, rng) for _ in range(size)]
    body = b'{"scans":[' + b",".join(b for _, b in items) + b"]}"
    return [u for u, _ in items], body


def arrow_batch_body(payloads: list[str], size: int, rng: random.Random) -> tuple[list[str], bytes]:
    """A batch of `size` scans as an Arrow IPC stream (uploads_arrow.py's columns)."""
    import pyarrow as pa  # only the Arrow runs need it

    uuids = [uuid.uuid4() for _ in range(size)]
    now = datetime.now(UTC)
    table = pa.table(
        {
            "uuid": pa.array([u.bytes for u in uuids], pa.binary(16)),
            "code": pa.array([rng.choice(payloads) for _ in range(size)], pa.string()),
            "occurred_at": pa.array([now] * size, pa.timestamp("us", tz="UTC")),
            "temperature": pa.array(
                [37.6 if rng.random() < 0.01 else round(36.0 + rng.random(), 1) for _ in uuids],
                pa.float64(),
            ),
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return [str(u) for u in uuids], sink.getvalue().to_pybytes()


ARROW = "application/vnd.apache.arrow.stream"


def _request(
    method: str, path: str, key: str, body: bytes = b"", content_type: str = "application/json"
) -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: bench\r\nX-Device-Key: {key}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


class Run:
    """Shared state of one load run."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.started = time.monotonic()
        self.measure_from = self.started + float(job.get("warmup", 0))
        self.stop_at = self.measure_from + float(job["duration"])
        self.outcomes: list[Outcome] = []
        self.sent: list[tuple[list[str], str, int, str]] = []  # uuids, body, status, device key
        self.answers: list[tuple[int, str]] = []  # (status, answer) of each replayed request
        self.answered_rows = 0  # every scan answered 2xx, warm-up included
        self.taken = 0
        self.batch_rows = 0
        self.cpu_at_start = 0.0
        # Single scans made before the clock starts (fresh uuids, times a few seconds before
        # they are sent): the client's CPU shares the 2 cores with the server.
        self.prebuilt: list[tuple[str, bytes]] = []

    def running(self) -> bool:
        return time.monotonic() < self.stop_at

    def take(self, queue: str) -> Any:
        """The next prepared batch or replayed request, or None when all are taken."""
        items = self.job.get(queue, [])
        if self.taken >= len(items):
            return None
        self.taken += 1
        return items[self.taken - 1]

    def next_request(self, key: str, rng: random.Random) -> tuple[bytes, list[str], bytes] | None:
        """(the request, its scan uuids, its body), or None when the run is over."""
        mode = self.job["mode"]
        if mode == "get":
            return _request("GET", self.job.get("path", "/healthz"), key), [], b""
        if mode == "single":
            scan_uuid, body = (
                self.prebuilt.pop() if self.prebuilt else single_body(self.job["payloads"], rng)
            )
            return _request("POST", "/api/scans", key, body), [scan_uuid], body
        if mode == "batch":
            taken = self.take("prepared_batches")
            if taken is None:
                return None
            path = self.job.get("batch_path", "/api/scans/batch")
            kind = ARROW if self.job.get("batch_format") == "arrow" else "application/json"
            return _request("POST", path, key, taken[1], kind), taken[0], taken[1]
        replayed = self.take("replay")
        if replayed is None:
            return None
        path, text, device_key = replayed  # sent again by the device that sent it first
        return _request("POST", path, device_key, text.encode()), [], text.encode()


async def _connection(run: Run, number: int) -> None:
    job = run.job
    key = job["device_keys"][number % len(job["device_keys"])]
    rng = random.Random(number)
    reader = writer = None
    while run.running():
        taken = run.next_request(key, rng)
        if taken is None:
            break
        request, uuids, body = taken
        sent_at = time.monotonic()
        status, answer = 0, b""
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(job["host"], job["port"])
            assert reader is not None
            status, answer = await _exchange(reader, writer, request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            if writer is not None:
                writer.close()
            reader = writer = None
            if not job.get("record"):
                raise
            await asyncio.sleep(0.05)  # the server is down (crash runs): go on soon
        done_at = time.monotonic()
        if 200 <= status < 300:
            run.answered_rows += len(uuids)
        if run.measure_from <= sent_at and done_at <= run.stop_at or job["mode"] == "batch":
            run.outcomes.append((sent_at, done_at - sent_at, status))
            if job["mode"] == "batch" and 200 <= status < 300:
                run.batch_rows += len(uuids)
        if job.get("record"):
            run.sent.append((uuids, body.decode(), status, key))
        if job["mode"] == "replay":
            run.answers.append((status, answer.decode()))
    if writer is not None:
        writer.close()


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _main(job: dict[str, Any]) -> dict[str, Any]:
    if job["mode"] == "batch":
        rng = random.Random(7)
        make = arrow_batch_body if job.get("batch_format") == "arrow" else batch_body
        job["prepared_batches"] = [
            make(job["payloads"], job["batch_size"], rng) for _ in range(job["batches"])
        ]
        job.setdefault("duration", 3600.0)  # until the batches run out
        job["warmup"] = 0
    if job["mode"] == "replay":
        job.update(duration=3600.0, warmup=0)
    run = Run(job)
    if job["mode"] == "single" and job.get("prebuilt"):
        rng = random.Random(11)
        run.prebuilt = [single_body(job["payloads"], rng) for _ in range(int(job["prebuilt"]))]
        run.started = time.monotonic()
        run.measure_from = run.started + float(job.get("warmup", 0))
        run.stop_at = run.measure_from + float(job["duration"])
    run.cpu_at_start = time.process_time()
    started = time.monotonic()
    await asyncio.gather(*(_connection(run, n) for n in range(job["concurrency"])))
    ended = time.monotonic()
    ok = [o for o in run.outcomes if 200 <= o[2] < 300]
    statuses: dict[str, int] = {}
    for outcome in run.outcomes:
        statuses[str(outcome[2])] = statuses.get(str(outcome[2]), 0) + 1
    window = ended - started if job["mode"] == "batch" else float(job["duration"])
    latencies = [o[1] * 1000 for o in ok]
    result: dict[str, Any] = {
        "mode": job["mode"],
        "concurrency": job["concurrency"],
        "seconds": window,
        "requests": len(run.outcomes),
        "ok": len(ok),
        "statuses": statuses,
        "ok_per_second": len(ok) / window,
        "rows_per_second": run.batch_rows / window if job["mode"] == "batch" else None,
        "batch_rows": run.batch_rows,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": max(latencies, default=float("nan")),
        "answered_rows": run.answered_rows,
        "cpu_seconds": time.process_time(),  # this process, preparation included
        "cpu_seconds_running": time.process_time() - run.cpu_at_start,
    }
    if job.get("record"):
        result["sent"] = run.sent
    if job["mode"] == "replay":
        result["answers"] = run.answers
    return result


def main() -> None:
    job_path, result_path = sys.argv[1], sys.argv[2]
    with open(job_path, encoding="utf-8") as file:
        job = json.load(file)
    try:
        import uvloop

        result = uvloop.run(_main(job))
    except ImportError:  # plain asyncio works too, a little slower
        result = asyncio.run(_main(job))
    with open(result_path, "w", encoding="utf-8") as file:
        json.dump(result, file)


if __name__ == "__main__":
    main()

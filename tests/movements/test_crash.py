"""A checkpoint server killed with SIGKILL under load loses no acknowledged scan and stores none
twice: an answer 2xx means committed, and a retry after the restart is a no-op.

bench/bench_ingest.py --crash runs the same check at full rate.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.health_code import service as health
from epicontrol.movements import devices
from epicontrol.movements.models import Movement
from tests.conftest import free_port
from tests.factories import TEST_SECRET, City

SCAN_THREADS = 4
BATCH_THREADS = 1
BATCH_SIZE = 20
SECONDS_BEFORE_KILL = 1.5
SECONDS_DOWN = 0.5
SECONDS_AFTER_RESTART = 1.0


class Server:
    """uvicorn with two workers on the test store, in its own process group so that SIGKILL
    reaches every worker at once, as a power cut would."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "EPICONTROL_DATABASE_URL": url,
            "EPICONTROL_SECRET_KEY": TEST_SECRET,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "epicontrol.web.app:create_app",
            "--factory",
            "--port",
            str(self.port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "server exited early"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError("server did not answer /healthz within 30 s")

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class Sent:
    """One attempt at a request: its uuids, its body, and the status (None: no answer)."""

    path: str
    uuids: list[str]
    body: dict[str, object]
    status: int | None = None


@dataclass
class Load:
    """Client threads sending single scans and small batches until stopped; a request that
    gets no answer is sent again until it does, as a device would."""

    base: str
    headers: dict[str, str]
    codes: list[str]
    attempts: list[Sent] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def scan(self, number: int) -> dict[str, object]:
        at = datetime.now(UTC).isoformat()
        code = self.codes[number % len(self.codes)]
        return {"uuid": str(uuid4()), "code": code, "occurred_at": at, "temperature": 36.6}

    def request(self, number: int, batch: bool) -> Sent:
        if not batch:
            scan = self.scan(number)
            return Sent("/api/scans", [str(scan["uuid"])], scan)
        scans = [self.scan(number + i) for i in range(BATCH_SIZE)]
        return Sent("/api/scans/batch", [str(s["uuid"]) for s in scans], {"scans": scans})

    def run(self, batch: bool) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=10) as client:
            number = 0
            while not self.stop.is_set():
                number += 1
                request = self.request(number, batch)
                while True:
                    attempt = Sent(request.path, request.uuids, request.body)
                    with contextlib.suppress(httpx.HTTPError):  # the server is down
                        attempt.status = client.post(attempt.path, json=attempt.body).status_code
                    self.attempts.append(attempt)
                    if attempt.status is not None or self.stop.is_set():
                        break
                    time.sleep(0.05)


def _retry_all(base: str, headers: dict[str, str], requests: list[Sent]) -> list[dict[str, object]]:
    """Every request sent once more, from a few threads; returns each scan's answer."""
    answers: list[dict[str, object]] = []

    def retry(share: list[Sent]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for request in share:
                response = client.post(request.path, json=request.body)
                assert response.status_code == 201, response.text
                body = response.json()
                answers.extend(body.get("results", [body]))

    threads = [threading.Thread(target=retry, args=(requests[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture
def crash_store(db: Session, city: City, db_url: str) -> tuple[str, dict[str, str], list[str]]:
    """The test city with a gate device and a pass for every resident."""
    device = devices.register(db, principal=None, place_code="GATE-M1", name="crash scanner")
    codes = [
        health.issue(db, resident_id=resident, secret=TEST_SECRET, actor=None).payload
        for resident in city.residents.values()
    ]
    db.commit()
    return db_url, {"X-Device-Key": device.api_key}, codes


@pytest.fixture
def server(crash_store: tuple[str, dict[str, str], list[str]]) -> Iterator[Server]:
    running = Server(crash_store[0])
    running.start()
    yield running
    running.kill()


def _counts(db: Session) -> dict[str, int]:
    db.expire_all()
    rows = db.execute(select(Movement.client_uuid, func.count()).group_by(Movement.client_uuid))
    return {uuid: count for uuid, count in rows}


def test_kill_9_under_load_loses_no_acknowledged_scan_and_stores_none_twice(
    crash_store: tuple[str, dict[str, str], list[str]], server: Server, db: Session
) -> None:
    _, headers, codes = crash_store
    load = Load(server.base, headers, codes)
    threads = [
        threading.Thread(target=load.run, args=(number < BATCH_THREADS,))
        for number in range(SCAN_THREADS + BATCH_THREADS)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(SECONDS_BEFORE_KILL)
        server.kill()  # mid-run: requests are in flight, some commits half done
        time.sleep(SECONDS_DOWN)
        server.start()  # the same store
        time.sleep(SECONDS_AFTER_RESTART)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join()

    acknowledged = {u for a in load.attempts if a.status == 201 for u in a.uuids}
    assert {a.status for a in load.attempts} <= {201, None}, "only 201 or no answer at all"
    assert acknowledged, "scans were acknowledged before the kill"
    assert None in {a.status for a in load.attempts}, "the kill must land mid-run"
    counts = _counts(db)
    assert all(counts.get(u) == 1 for u in acknowledged), "an acknowledged scan is missing"
    assert set(counts.values()) == {1}, "a scan is stored twice"

    requests = list({a.uuids[0]: a for a in load.attempts}.values())  # answered or not
    answers = _retry_all(server.base, headers, requests)
    assert len(answers) == sum(len(r.uuids) for r in requests), "a retry was refused"
    durable = [a["stored"] is False for a in answers if a["uuid"] in acknowledged]
    assert all(durable), "an acknowledged scan was stored again: it was not durable"
    everything = {u for r in requests for u in r.uuids}
    assert _counts(db) == dict.fromkeys(everything, 1)

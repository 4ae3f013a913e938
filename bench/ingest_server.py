"""A real uvicorn server process for the ingest benchmarks: start, wait until up, kill."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(port: int, workers: int, app: str = "epicontrol.web.app:create_app") -> list[str]:
    """The server command line: uvicorn directly (as `epicontrol serve` does, but without the
    access log, a line per request: ~15% of the CPU at this rate)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-proxy-headers",  # as `epicontrol serve` runs it
    ]


class Server:
    """uvicorn serving `url` on a loopback port, in its own process group (so that kill -9
    reaches the worker processes too, as a machine crash would)."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        workers: int,
        port: int | None = None,
        app: str = "epicontrol.web.app:create_app",
        env: dict[str, str] | None = None,
    ) -> None:
        self.url = url
        self.app = app
        self.extra_env = env or {}
        self.secret = secret
        self.workers = workers
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "EPICONTROL_DATABASE_URL": self.url,
            "EPICONTROL_SECRET_KEY": self.secret,
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            command(self.port, self.workers, self.app), env=env, cwd=REPO, start_new_session=True
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not answer /healthz within 60 s")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handler runs, nothing is flushed."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """A graceful stop (SIGTERM to the group), then SIGKILL if it hangs."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.process = None

    def cpu_seconds(self) -> float:
        """CPU time used so far by the supervisor and its workers (all their threads)."""
        return sum(process_cpu_seconds(pid) for pid in self.pids())

    def pids(self) -> list[int]:
        """The supervisor and its workers, for profiling."""
        assert self.process is not None
        found = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            found += [int(p) for p in children.read_text().split()]
        return found


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_backends(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database`, by pid (its connections only:
    the server's shared processes -- WAL writer, checkpointer -- and other databases are left
    out)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if command.startswith("postgres:") and f" {database} " in command:
            found[int(entry.name)] = process_cpu_seconds(int(entry.name))
    return found


class PostgresCpu:
    """CPU used by a database's backends between start() and stop(), sampled every 0.2 s so
    that a connection closed meanwhile still counts (up to its last sample)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self.first = postgres_backends(self.database)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.last.update(postgres_backends(self.database))

    def stop(self) -> float:
        """CPU seconds used while running."""
        self._stop.set()
        self._thread.join()
        self.last.update(postgres_backends(self.database))
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())

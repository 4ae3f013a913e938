r"""Benchmark of the agency exchange's streamed export: rows/s and the server's peak memory.

    .venv/bin/python bench/bench_exchange_export.py --rows 10000000 --format csv
    .venv/bin/python bench/bench_exchange_export.py --rows 200000 --backend postgresql \
        --format parquet --server serve

Fills a fresh store (a temporary SQLite file, or a new PostgreSQL database) with `--rows`
contacts under observation (dataset contacts_to_locate) of `--residents` residents, grants the
dataset to an agency, issues an API key, starts a real server (uvicorn with the app factory, or
`epicontrol serve` with --server serve; background jobs off) and downloads the export through it
with httpx, streaming. The server's resident memory is sampled from /proc/<pid>/status every
50 ms; its VmHWM (peak), reset once the server has started, is read before it stops.
`--identity` adds the decrypted ID number to every row (an AES-GCM decryption per row).
Printed and written as JSON (--out): rows, bytes, seconds, rows/s, server RSS before and peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from epicontrol.core.auth import Principal  # noqa: E402
from epicontrol.core.crypto import vault_for  # noqa: E402
from epicontrol.core.db import engine_for, session_factory  # noqa: E402
from epicontrol.core.migrate import upgrade  # noqa: E402
from epicontrol.core.policy import Role  # noqa: E402

SECRET = "bench-exchange-secret-not-for-production"
PG_ADMIN_URL = os.environ.get(
    "EPICONTROL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CONTACT_COLUMNS = (
    "id", "case_id", "contact_resident_id", "division_id", "degree", "rule", "first_exposure_at",
    "last_exposure_at", "minutes", "observation_ends_on", "run_id", "created_at",
)  # fmt: skip
SERVER_ENV = {
    "EPICONTROL_TRACING_IN_BACKGROUND": "false",
    "EPICONTROL_MONITORING_REFRESH_SECONDS": "0",
    "EPICONTROL_RISK_STATUS_SWEEP_SECONDS": "0",
    "EPICONTROL_RETENTION_PURGE_INTERVAL_SECONDS": "0",
}


def seed_people(url: str, residents: int, cases: int) -> None:
    """A city with one grid, `residents` residents (encrypted identities), `cases` cases."""
    vault = vault_for(SECRET)
    now = datetime.now(UTC)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO divisions (id, code, name, name_pinyin, level, path) VALUES "
                "(1, '420100', 'bench city', 'bench', 'city', '/1/'), "
                "(2, '420100001001G01', 'bench grid', 'bench', 'grid', '/1/2/')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, role, division_id,"
                " is_active, created_at) VALUES (:id, :name, :name, 'x', :role, 1, true, :at)"
            ),
            [
                {"id": 1, "name": "liaison", "role": Role.AGENCY_LIAISON.value, "at": now},
                {"id": 2, "name": "commander", "role": Role.COMMANDER.value, "at": now},
            ],
        )
        conn.execute(
            text(
                "INSERT INTO residents (id, division_id, id_number_hash, id_number_enc, name_enc,"
                " name_masked, sex, birth_year, occupation, source, registered_at) VALUES (:id, 2,"
                " :hash, :number, :name, '张*', 'F', 1980, '', 'bench', :at)"
            ),
            [
                {
                    "id": n,
                    "hash": f"{n:064x}",
                    "number": vault.encrypt(f"420102198001{n:06d}"),
                    "name": vault.encrypt("张三"),
                    "at": now,
                }
                for n in range(1, residents + 1)
            ],
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, case_number, resident_id, division_id, status, report_date,"
                " created_by, created_at, updated_at) VALUES (:id, :number, :id, 2, 'confirmed',"
                " :day, 'bench', :at, :at)"
            ),
            [
                {"id": n, "number": f"B{n:07d}", "day": now.date(), "at": now}
                for n in range(1, cases + 1)
            ],
        )
        conn.execute(
            text(
                "INSERT INTO tracing_runs (id, case_id, status, engine, reason, requested_by,"
                " queued_at, error) VALUES (:id, :id, 'done', 'duckdb', '', 'bench', :at, '')"
            ),
            [{"id": n, "at": now} for n in range(1, cases + 1)],
        )
    engine.dispose()


def contact_rows(rows: int, residents: int, today: date) -> Iterator[tuple[Any, ...]]:
    """Contacts under observation: case k holds residents 1..residents (unique per case)."""
    last = datetime.combine(today, datetime.min.time(), UTC) - timedelta(days=1)
    first = last - timedelta(hours=1)
    ends = today + timedelta(days=13)
    for n in range(1, rows + 1):
        case = (n - 1) // residents + 1
        resident = (n - 1) % residents + 1
        yield (n, case, resident, 2, 1, "co_location", first, last, 60, ends, case, last)


def seed_contacts(url: str, rows: int, residents: int, today: date) -> None:
    """Bulk-load the contacts: COPY on PostgreSQL, one executemany on SQLite."""
    if url.startswith("postgresql"):
        import psycopg

        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq) as raw, raw.cursor() as cursor:
            with cursor.copy(f"COPY contacts ({', '.join(CONTACT_COLUMNS)}) FROM STDIN") as copy:
                for row in contact_rows(rows, residents, today):
                    copy.write_row(row)
            cursor.execute("ANALYZE")
        return

    def stored(row: tuple[Any, ...]) -> tuple[Any, ...]:
        # As UTCDateTime stores them in SQLite: UTC text without an offset.
        first, last = (v.strftime("%Y-%m-%d %H:%M:%S.%f") for v in (row[6], row[7]))
        return (*row[:6], first, last, row[8], row[9].isoformat(), row[10], last)

    conn = sqlite3.connect(make_url(url).database or "")
    placeholders = ", ".join("?" for _ in CONTACT_COLUMNS)
    with conn:
        conn.executemany(
            f"INSERT INTO contacts ({', '.join(CONTACT_COLUMNS)}) VALUES ({placeholders})",
            (stored(row) for row in contact_rows(rows, residents, today)),
        )
    conn.close()


def grant_and_key(url: str, fields: list[str]) -> str:
    """Grant contacts_to_locate to the agency and issue an API key; returns the key."""
    from epicontrol.exchange import grants, keys

    liaison = Principal(1, "liaison", Role.AGENCY_LIAISON, 1, "/1/")
    commander = Principal(2, "commander", Role.COMMANDER, 1, "/1/")
    with session_factory(engine_for(url))() as db:
        grant = grants.request_grant(
            db,
            principal=liaison,
            agency="public_security",
            dataset_name="contacts_to_locate",
            fields=fields,
            division_codes=["420100"],
            purpose="benchmark of the streamed export",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        grants.decide(db, principal=commander, grant_id=grant.id, approve=True)
        issued = keys.create(
            db, vault_for(SECRET), principal=commander, agency="public_security",
            grant_ids=[grant.id],
        )  # fmt: skip
        db.commit()
    engine_for(url).dispose()
    return issued.secret


def memory_kb(pid: int, field: str) -> int:
    """A memory line of /proc/<pid>/status (VmRSS, VmHWM) in KiB; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def reset_peak(pid: int) -> None:
    """Reset the process's VmHWM to its current RSS (Linux: "5" into /proc/<pid>/clear_refs), so
    that the peak read afterwards is the export's, not the start-up's (the Q&A dictionary load
    of `epicontrol serve` peaks higher than it settles)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def start_server(url: str, data_dir: Path, port: int, how: str) -> subprocess.Popen[bytes]:
    """The app on loopback, by `epicontrol serve` or plain uvicorn; returns once it answers."""
    env = {
        **os.environ,
        **SERVER_ENV,
        "EPICONTROL_DATABASE_URL": url,
        "EPICONTROL_SECRET_KEY": SECRET,
        "EPICONTROL_DATA_DIR": str(data_dir),
    }
    if how == "serve":
        command = [sys.executable, "-m", "epicontrol.cli", "serve", "--port", str(port)]
    else:  # the same app without serve's warm-up of the public Q&A dictionary (~70 MB)
        app = "epicontrol.web.app:create_app"
        command = [sys.executable, "-m", "uvicorn", "--factory", app, "--port", str(port)]
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text(errors="replace"))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not start within 60 s")


def download(base: str, key: str, fmt: str, pid: int) -> dict[str, Any]:
    """Stream the export, counting bytes (and CSV lines), sampling the server's RSS."""
    peak_sampled = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_sampled
        while not done.is_set():
            peak_sampled = max(peak_sampled, memory_kb(pid, "VmRSS"))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    size = lines = 0
    started = time.perf_counter()
    url = f"{base}/api/exchange/datasets/contacts_to_locate/export"
    with httpx.stream(
        "GET", url, params={"format": fmt}, headers={"X-API-Key": key}, timeout=None
    ) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_raw():
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"bytes": size, "csv_lines": lines, "seconds": seconds, "rss_sampled_kb": peak_sampled}


def logged_rows(url: str) -> tuple[int, int]:
    """(rows, status) the server logged for the export."""
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT rows, status FROM exchange_requests ORDER BY id DESC LIMIT 1")
        ).one()
    engine.dispose()
    return int(row[0]), int(row[1])


def new_store(backend: str, workdir: Path) -> tuple[str, str | None]:
    """(url, PostgreSQL database name or None) of a fresh, migrated store."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'store.db'}"
        upgrade(url)
        return url, None
    name = f"bench_exchange_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url, name


def drop_store(name: str | None) -> None:
    """Drop the benchmark's PostgreSQL database, if one was made."""
    if name is None:
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Seed, serve, download; the measured figures."""
    url, pg_name = new_store(args.backend, workdir)
    try:
        residents = min(args.residents, args.rows)
        cases = -(-args.rows // residents)
        seeding = time.perf_counter()
        seed_people(url, residents, cases)
        seed_contacts(url, args.rows, residents, date.today())
        fields = ["degree", "last_exposure_at", "observation_ends_on", "division_code"]
        fields += ["name_masked", "birth_year"] + (["id_number"] if args.identity else [])
        key = grant_and_key(url, fields)
        seeded = time.perf_counter() - seeding
        server = start_server(url, workdir, args.port, args.server)
        try:
            time.sleep(2)  # let the server's start-up work (the Q&A dictionary) settle
            startup_peak = memory_kb(server.pid, "VmHWM")
            reset_peak(server.pid)
            before = memory_kb(server.pid, "VmRSS")
            got = download(f"http://127.0.0.1:{args.port}", key, args.format, server.pid)
            peak = memory_kb(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(timeout=30)
        rows, status = logged_rows(url)
    finally:
        engine_for(url).dispose()
        drop_store(pg_name)
    return {
        "backend": args.backend,
        "server": args.server,
        "format": args.format,
        "identity": args.identity,
        "rows": rows,
        "status": status,
        "csv_lines": got["csv_lines"] if args.format == "csv" else None,
        "bytes": got["bytes"],
        "seconds": round(got["seconds"], 2),
        "rows_per_s": round(rows / got["seconds"]) if got["seconds"] else None,
        "mb_per_s": round(got["bytes"] / 2**20 / got["seconds"], 1) if got["seconds"] else None,
        "server_startup_peak_mb": round(startup_peak / 1024, 1),
        "server_rss_before_mb": round(before / 1024, 1),
        "server_rss_sampled_peak_mb": round(got["rss_sampled_kb"] / 1024, 1),
        "server_peak_rss_mb": round(peak / 1024, 1),
        "seed_seconds": round(seeded, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--format", choices=("csv", "parquet", "arrow"), default="csv")
    parser.add_argument("--identity", action="store_true", help="export decrypted ID numbers too")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--server",
        choices=("app", "serve"),
        default="app",
        help="app: uvicorn with the app factory (an exchange node); serve: `epicontrol serve`, "
        "which also loads the public Q&A dictionary at start",
    )
    parser.add_argument("--out", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-exchange-") as workdir:
        result = run(args, Path(workdir))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if result["status"] != 200 or result["server_peak_rss_mb"] >= 300:
        sys.exit(1)


if __name__ == "__main__":
    main()

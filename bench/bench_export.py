"""Benchmark of the movement export to Parquet and of the retention purge, SQLite and PostgreSQL.

    .venv/bin/python bench/bench_export.py --backend both --rows 2000000 --days 4

Fills a fresh store with `--rows` movements spread over `--days` closed days (0.1% of them with
a temperature alert), then, each in a child process so that its peak RSS is its own:
`export_closed_days` of every day (rows/s, peak RSS), a purge of the oldest day with the schema
as migrated, and a purge of the other expired days after adding an index on
temperature_alerts.movement_id (the foreign key that every deleted movement is checked against).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from epicontrol.core.db import build_engine
from epicontrol.core.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "EPICONTROL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PLACES = 2_000
RESIDENTS = 200_000
ALERT_SHARE = 0.001
WINDOW = 28
COLUMNS = (
    "id", "client_uuid", "kind", "direction", "resident_id", "place_id", "occurred_at", "day",
    "received_at", "temperature", "origin",
)  # fmt: skip


def movement_days(days: int, today: date) -> list[date]:
    """`days` consecutive days whose last one is the oldest day a 28-day window keeps."""
    last = today - timedelta(days=WINDOW)
    return [last - timedelta(days=n) for n in reversed(range(days))]


def movement_rows(count: int, days: list[date]) -> Iterator[tuple[Any, ...]]:
    """Plausible movement rows with explicit ids, day by day."""
    rng = random.Random(2020)
    per_day = count // len(days)
    number = 0
    for day in days:
        midnight = datetime.combine(day, datetime.min.time(), UTC)
        for _ in range(per_day if day != days[-1] else count - number):
            number += 1
            at = midnight + timedelta(seconds=rng.randrange(86_400))
            is_scan = number % 3 == 0
            yield (
                number,
                str(uuid.UUID(int=number)),
                "scan" if is_scan else "checkin",
                "in" if number % 2 else "out",
                rng.randrange(1, RESIDENTS + 1),
                rng.randrange(1, PLACES + 1),
                at,
                day,
                at + timedelta(seconds=2),
                round(36.2 + rng.random(), 1) if is_scan else None,
                "420100" if number % 50 == 0 else None,
            )


def seed(url: str, rows: int, days: list[date]) -> int:
    """Fill the store; returns the number of temperature alerts."""
    engine = build_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO divisions (id, code, name, name_pinyin, level, path) "
                "VALUES (1, '420100', 'bench', 'bench', 'city', '/1/')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO places (id, code, name, kind, division_id, address) "
                "VALUES (:id, :code, 'p', 'venue', 1, '')"
            ),
            [{"id": n, "code": f"P{n}"} for n in range(1, PLACES + 1)],
        )
        conn.execute(
            text(
                "INSERT INTO residents (id, division_id, id_number_hash, id_number_enc, name_enc,"
                " name_masked, sex, birth_year, occupation, source, registered_at) VALUES (:id, 1,"
                " :hash, :blob, :blob, 'x*', 'F', 1980, '', 'bench', :at)"
            ),
            [
                {"id": n, "hash": f"{n:064x}", "blob": b"x", "at": datetime.now(UTC)}
                for n in range(1, RESIDENTS + 1)
            ],
        )
    engine.dispose()
    alert_ids = []
    if url.startswith("postgresql"):
        with psycopg.connect(_libpq(url)) as raw, raw.cursor() as cursor:
            copy_sql = f"COPY movements ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.copy(copy_sql) as copy:
                for row in movement_rows(rows, days):
                    copy.write_row(row)
                    if row[0] % int(1 / ALERT_SHARE) == 0:
                        alert_ids.append(row[0])
    else:
        import sqlite3

        conn3 = sqlite3.connect(make_url(url).database or "")
        placeholders = ", ".join("?" for _ in COLUMNS)
        insert = f"INSERT INTO movements ({', '.join(COLUMNS)}) VALUES ({placeholders})"

        def stored(row: tuple[Any, ...]) -> tuple[Any, ...]:
            if row[0] % int(1 / ALERT_SHARE) == 0:
                alert_ids.append(row[0])
            # As UTCDateTime stores them in SQLite: UTC text without an offset.
            at, received = (v.strftime("%Y-%m-%d %H:%M:%S.%f") for v in (row[6], row[8]))
            return (*row[:6], at, row[7].isoformat(), received, *row[9:])

        with conn3:
            conn3.executemany(insert, (stored(row) for row in movement_rows(rows, days)))
        conn3.close()
    engine = build_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO temperature_alerts (movement_id, place_id, division_id, temperature,"
                " created_at, is_handled, note) VALUES (:m, 1, 1, 38.0, :at, false, '')"
            ),
            [{"m": m, "at": datetime.now(UTC)} for m in alert_ids],
        )
        if url.startswith("postgresql"):
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return len(alert_ids)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec,
    # so a child would report the seeding parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_export(url: str, out: str) -> dict[str, Any]:
    """Run in a child: export every closed day."""
    from epicontrol.movements.export import export_closed_days

    before = peak_rss_mb()
    started = time.perf_counter()
    summary = export_closed_days(build_engine(url), Path(out))
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in Path(out).rglob("*.parquet"))
    return {
        "rows": summary.rows,
        "days": len(summary.days),
        "seconds": seconds,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "parquet_mb": size / 2**20,
    }


def child_purge(url: str, window: int) -> dict[str, Any]:
    """Run in a child: purge with `window` days."""
    from epicontrol.core.db import session_factory
    from epicontrol.movements.retention import purge

    started = time.perf_counter()
    with session_factory(build_engine(url))() as session:
        summary = purge(session, older_than_days=window, now=datetime.now(UTC), actor=None)
    return {
        "movements": summary.movements,
        "alerts": summary.alerts,
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
    }


def in_child(*args: str) -> dict[str, Any]:
    """Run this script's child mode and return its JSON answer."""
    done = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def fresh_store(backend: str, folder: Path) -> str:
    """A migrated, empty store."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        name = f"epicontrol_bench_export_{os.getpid()}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_store(url: str) -> None:
    """Drop the PostgreSQL benchmark database."""
    if not url.startswith("postgresql"):
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def run(backend: str, rows: int, days: int, *, export_only: bool = False) -> None:
    """Seed, export, purge without and with the alerts index; print one line per step."""
    with tempfile.TemporaryDirectory(prefix="bench_export_") as tmp:
        folder = Path(tmp)
        url = fresh_store(backend, folder)
        try:
            dates = movement_days(days, datetime.now(UTC).date())
            started = time.perf_counter()
            alerts = seed(url, rows, dates)
            print(
                f"{backend}: seeded {rows:,} movements over {days} days, {alerts:,} alerts "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            export = in_child("_export", url, str(folder / "out"))
            print(
                f"{backend}: export {export['rows']:,} rows, {export['days']} days in "
                f"{export['seconds']:.1f} s = {export['rows'] / export['seconds']:,.0f} rows/s; "
                f"peak RSS {export['peak_rss_mb']:.0f} MB (after imports "
                f"{export['rss_before_mb']:.0f} MB); Parquet {export['parquet_mb']:.0f} MB",
                flush=True,
            )
            if export_only:
                return
            # Oldest day only, schema as migrated (no index on temperature_alerts.movement_id).
            oldest = in_child("_purge", url, str(WINDOW + days - 2))
            _print_purge(backend, "as migrated", oldest)
            with build_engine(url).begin() as conn:
                conn.execute(
                    text(
                        "CREATE INDEX ix_bench_alerts_movement ON temperature_alerts (movement_id)"
                    )
                )
            rest = in_child("_purge", url, str(WINDOW))
            _print_purge(backend, "with an index on temperature_alerts.movement_id", rest)
        finally:
            drop_store(url)


def _print_purge(backend: str, label: str, result: dict[str, Any]) -> None:
    rate = result["movements"] / result["seconds"] if result["seconds"] else 0
    print(
        f"{backend}: purge {label}: {result['movements']:,} movements, {result['alerts']:,} "
        f"alerts in {result['seconds']:.1f} s = {rate:,.0f} rows/s; "
        f"peak RSS {result['peak_rss_mb']:.0f} MB",
        flush=True,
    )


def main() -> None:
    """Parse arguments and run the chosen backends (or a child step)."""
    if len(sys.argv) > 1 and sys.argv[1] == "_export":
        print(json.dumps(child_export(sys.argv[2], sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_purge":
        print(json.dumps(child_purge(sys.argv[2], int(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--export-only", action="store_true", help="skip the purges")
    args = parser.parse_args()
    print(f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.rows, args.days, export_only=args.export_only)


if __name__ == "__main__":
    main()

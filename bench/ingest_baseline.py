"""Baselines for the scan-ingest benchmark: the same rows written straight through the driver.

No HTTP, no JSON, no signature check, no validation: what the store alone does on this machine,
so that the HTTP figures can be read as "store cost + everything else".
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

COLUMNS = (
    "client_uuid",
    "kind",
    "direction",
    "resident_id",
    "place_id",
    "occurred_at",
    "day",
    "received_at",
    "device_id",
    "temperature",
)


COPY_TYPES = ["varchar", "varchar", "varchar", "int4", "int4"]
COPY_TYPES += ["timestamptz", "date", "timestamptz", "int4", "float8"]


def _rows(count: int, residents: int) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC)
    return [
        (str(uuid.uuid4()), "scan", "in", 1 + i % residents, 1, now, now.date(), now, 1, 36.5)
        for i in range(count)
    ]


def _timed(seconds: float, size: int, residents: int, write: Callable[[list[Any]], None]) -> float:
    """Rows per second of `write` (rows of `size`, made beforehand, outside the timing),
    repeated for about `seconds`."""
    rows = spent = 0.0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        made = _rows(size, residents)
        begun = time.perf_counter()
        write(made)
        spent += time.perf_counter() - begun
        rows += size
    return rows / spent


def postgresql(url: str, *, residents: int, batch_size: int, seconds: float) -> dict[str, float]:
    """Commit-per-row, executemany-per-batch and COPY-per-batch rates through psycopg."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    insert = (
        f"INSERT INTO movements ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
        "ON CONFLICT (client_uuid) DO NOTHING"
    )
    copy_sql = f"COPY movements ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with psycopg.connect(dsn) as conn:

        def one_row(rows: list[Any]) -> None:
            conn.execute(insert, rows[0])
            conn.commit()

        def many(rows: list[Any]) -> None:
            with conn.cursor() as cursor:
                cursor.executemany(insert, rows)
            conn.commit()

        def copy(rows: list[Any]) -> None:
            with conn.cursor() as cursor, cursor.copy(copy_sql) as copier:
                copier.set_types(COPY_TYPES)
                for row in rows:
                    copier.write_row(row)
            conn.commit()

        return {
            "commit_per_row": _timed(seconds, 1, residents, one_row),
            "executemany_batch": _timed(seconds, batch_size, residents, many),
            "copy_batch": _timed(seconds, batch_size, residents, copy),
        }


def sqlite(url: str, *, residents: int, batch_size: int, seconds: float) -> dict[str, float]:
    """Commit-per-row and executemany-per-batch rates through sqlite3 (WAL, synchronous=NORMAL
    as the app sets them)."""
    path = make_url(url).database
    assert path
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    insert = (
        f"INSERT INTO movements ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
        "ON CONFLICT (client_uuid) DO NOTHING"
    )

    def as_sqlite(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [
            (*r[:5], r[5].isoformat(" "), r[6].isoformat(), r[7].isoformat(" "), *r[8:])
            for r in rows
        ]

    def one_row(rows: list[Any]) -> None:
        conn.execute(insert, as_sqlite(rows)[0])
        conn.commit()

    def many(rows: list[Any]) -> None:
        conn.executemany(insert, as_sqlite(rows))
        conn.commit()

    try:
        return {
            "commit_per_row": _timed(seconds, 1, residents, one_row),
            "executemany_batch": _timed(seconds, batch_size, residents, many),
        }
    finally:
        conn.close()

"""Where a generated city goes: Parquet files, or the operational store (bulk inserts)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlalchemy import Connection, Table, func, insert, select, text

import epicontrol.models  # noqa: F401  (fills Base.metadata with every table)
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import Base
from epicontrol.demo import tables
from epicontrol.demo.city import City, Simulation
from epicontrol.demo.movements import DayMovements

COMPRESSION = "zstd"
STATIC_FILES = ("divisions", "housing_estates", "places", "households", "residents")
OUTCOME_FILES = ("ground_truth", "cases")
INSERT_CHUNK_ROWS = 10_000  # rows per executemany; bounds the Python objects alive at once

# The store's tables the city fills, in foreign-key order.
_STORE_TABLES = ("divisions", "housing_estates", "places", "households", "residents")


def clear_outputs(directory: Path) -> None:
    """Remove the files an earlier build left in `directory` (and nothing else)."""
    shutil.rmtree(directory / "movements", ignore_errors=True)
    for name in (*STATIC_FILES, *OUTCOME_FILES):
        (directory / f"{name}.parquet").unlink(missing_ok=True)
    (directory / "manifest.json").unlink(missing_ok=True)


def write_table(table: pa.Table, path: Path) -> int:
    """Write one Parquet file; returns its row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression=COMPRESSION)
    return table.num_rows


def write_static_parquet(city: City, vault: PersonalDataVault, directory: Path) -> dict[str, int]:
    """Divisions, estates, places, households and residents as Parquet files."""
    counts = {
        "divisions": write_table(tables.divisions_table(city), directory / "divisions.parquet"),
        "housing_estates": write_table(
            tables.estates_table(city), directory / "housing_estates.parquet"
        ),
        "places": write_table(tables.places_table(city), directory / "places.parquet"),
        "households": write_table(
            tables.households_table(city, vault), directory / "households.parquet"
        ),
    }
    writer: pq.ParquetWriter | None = None
    counts["residents"] = 0
    try:
        for batch in tables.resident_batches(city, vault):
            if writer is None:
                writer = pq.ParquetWriter(
                    directory / "residents.parquet", batch.schema, compression=COMPRESSION
                )
            writer.write_batch(batch)
            counts["residents"] += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    return counts


def day_path(directory: Path, moves: DayMovements) -> Path:
    """Hive-style partition of one day: movements/day=YYYY-MM-DD/part-0.parquet."""
    return directory / "movements" / f"day={moves.day.isoformat()}" / "part-0.parquet"


def write_movements(directory: Path, moves: DayMovements, first_record_id: int) -> int:
    """Write one day's movements; returns the number of records."""
    return write_table(tables.movements_table(moves, first_record_id), day_path(directory, moves))


def write_outcomes(directory: Path, simulation: Simulation) -> dict[str, int]:
    """The outbreak's ground truth and the detected cases."""
    return {
        "infections": write_table(
            tables.ground_truth_table(simulation), directory / "ground_truth.parquet"
        ),
        "cases": write_table(tables.cases_table(simulation), directory / "cases.parquet"),
    }


def write_manifest(directory: Path, simulation: Simulation, counts: dict[str, int]) -> None:
    """What was generated and how, for readers of the files (benchmarks, tests)."""
    city = simulation.city
    manifest = {
        "seed": city.spec.seed,
        "residents": city.spec.residents,
        "days": city.spec.days,
        "first_day": city.start.isoformat(),
        "last_day": city.last_day.isoformat(),
        "city": city.divisions.name[city.divisions.city_row],
        "city_code": city.divisions.code[city.divisions.city_row],
        "index_case_ids": [int(row) + 1 for row in simulation.index_cases],
        "counts": counts,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))


def store_has_city(connection: Connection) -> bool:
    """Whether the store already holds divisions or residents."""
    for name in ("divisions", "residents"):
        table = Base.metadata.tables[name]
        if connection.execute(select(func.count()).select_from(table)).scalar_one():
            return True
    return False


def _insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    for low in range(0, len(rows), INSERT_CHUNK_ROWS):
        connection.execute(insert(table), rows[low : low + INSERT_CHUNK_ROWS])


def insert_static(connection: Connection, city: City, vault: PersonalDataVault) -> dict[str, int]:
    """Bulk-insert the static city with explicit ids (so paths and keys need no round trip)."""
    sources = {
        "divisions": lambda: [tables.divisions_table(city)],
        "housing_estates": lambda: [tables.estates_table(city)],
        "places": lambda: [tables.places_table(city)],
        "households": lambda: [tables.households_table(city, vault)],
        "residents": lambda: tables.resident_batches(city, vault),
    }
    counts: dict[str, int] = {}
    for name in _STORE_TABLES:
        table = Base.metadata.tables[name]
        counts[name] = 0
        for part in sources[name]():
            rows = part.to_pylist()
            _insert_rows(connection, table, rows)
            counts[name] += len(rows)
    if connection.dialect.name == "postgresql":
        # Explicit ids leave the serial sequences behind; move them past the inserted rows.
        for name in _STORE_TABLES:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                )
            )
    return counts


def insert_movements(connection: Connection, moves: DayMovements, first_record_id: int) -> int:
    """One day's movements into the store's append-only movements table: an "in" record at
    each arrival and an "out" record at each departure (point scans have only the "in").

    The client uuids are derived from the record ids, so a rebuild of the same city makes the
    same uuids. Returns the number of rows stored.
    """
    table = Base.metadata.tables["movements"]
    source = tables.movements_table(moves, first_record_id).to_pydict()
    rows: list[dict[str, Any]] = []
    for record_id, resident_id, place_id, kind, entered, left in zip(
        source["record_id"],
        source["resident_id"],
        source["place_id"],
        source["kind"],
        source["entered_at"],
        source["left_at"],
        strict=True,
    ):
        rows.append(_movement_row(record_id, "in", resident_id, place_id, kind, entered))
        if left is not None:
            rows.append(_movement_row(record_id, "out", resident_id, place_id, kind, left))
    _insert_rows(connection, table, rows)
    return len(rows)


def _movement_row(
    record_id: int, direction: str, resident_id: int, place_id: int, kind: str, at: Any
) -> dict[str, Any]:
    at_utc = at.astimezone(UTC)
    return {
        "client_uuid": f"demo-{record_id}-{direction}",
        "kind": kind,
        "direction": direction,
        "resident_id": resident_id,
        "place_id": place_id,
        "occurred_at": at_utc,
        "day": at_utc.date(),  # the store's `day` is the UTC date of the record
        "received_at": at_utc,
    }


def movements_dataset(directory: Path) -> ds.Dataset:
    """The day-partitioned movements under `directory` as one dataset, `day` typed as a date."""
    partitioning = ds.partitioning(pa.schema([("day", pa.date32())]), flavor="hive")
    return ds.dataset(directory / "movements", format="parquet", partitioning=partitioning)

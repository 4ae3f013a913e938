"""Export of closed days of movements, and the reference tables tracing needs, to Parquet."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlalchemy import Connection, DateTime, Engine, Select, String, func, select, type_coerce
from sqlalchemy.orm import Session

from epicontrol.core.db import UTCDateTime, utcnow
from epicontrol.core.errors import InvalidInput
from epicontrol.divisions.models import Division
from epicontrol.movements.models import Movement
from epicontrol.people.models import Resident
from epicontrol.places.models import Place

# Rows fetched per round trip and written per Parquet row group: large enough for good column
# compression and few round trips, small enough that a 10-million-row day stays under ~100 MB.
CHUNK_ROWS = 65_536
PART_FILE = "part-0.parquet"
# zstd reads as fast as snappy in DuckDB and pyarrow and makes files about a third smaller.
COMPRESSION = "zstd"

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
# Pseudonymous columns only: plate_enc, client_uuid, import_id and received_at stay behind.
# Names follow the synthetic city's files (epicontrol/demo/tables.py), hence `record_id`.
MOVEMENT_SCHEMA = pa.schema(
    [
        ("record_id", pa.int64()),
        ("kind", pa.string()),
        ("direction", pa.string()),
        ("resident_id", pa.int64()),
        ("person_hash", pa.string()),
        ("place_id", pa.int64()),
        ("occurred_at", UTC_TIMESTAMP),
        ("day", pa.date32()),
        ("device_id", pa.int64()),
        ("temperature", pa.float64()),
        ("origin", pa.string()),
        ("destination", pa.string()),
        ("train_number", pa.string()),
        ("carriage", pa.string()),
        ("plate_hash", pa.string()),
        ("purpose", pa.string()),
        ("occupants", pa.int32()),
    ]
)
# The file carries `day` too, so a reader of one file knows its day; readers that also parse
# the folder name must be told it is a date (see movements_dataset).
DAY_PARTITIONING = ds.partitioning(pa.schema([("day", pa.date32())]), flavor="hive")

PLACE_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("code", pa.string()),
        ("kind", pa.string()),
        ("division_id", pa.int64()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
    ]
)
# No identity fields (hashes, encrypted name/ID/phone): tracing needs households and ages only.
RESIDENT_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("household_id", pa.int64()),
        ("division_id", pa.int64()),
        ("sex", pa.string()),
        ("birth_year", pa.int64()),
    ]
)
DIVISION_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("code", pa.string()),
        ("level", pa.string()),
        ("parent_id", pa.int64()),
        ("path", pa.string()),
    ]
)

AnySelect: TypeAlias = Select[*tuple[Any, ...]]  # a select of any columns
Progress = Callable[[int, int], None]
"""Called with (rows written so far, rows to write in all)."""


@dataclass(frozen=True, slots=True)
class DayExport:
    """One day's partition as written."""

    day: date
    rows: int
    path: Path


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote."""

    out_dir: Path
    days: tuple[DayExport, ...]
    places: int
    residents: int
    divisions: int

    @property
    def rows(self) -> int:
        """Movement rows written, all days together."""
        return sum(day.rows for day in self.days)


def partition_dir(out_dir: Path, day: date) -> Path:
    """The folder of one day's movements: `out_dir/movements/day=YYYY-MM-DD`."""
    return out_dir / "movements" / f"day={day.isoformat()}"


def movements_dataset(out_dir: Path) -> ds.Dataset:
    """The exported movements as one pyarrow dataset, `day` typed as a date."""
    return ds.dataset(out_dir / "movements", format="parquet", partitioning=DAY_PARTITIONING)


def export_closed_days(
    source: Engine | Session,
    out_dir: Path,
    *,
    through: date | None = None,
    day: date | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ExportSummary:
    """Write every stored closed day up to `through` (or only `day`) and the reference tables.

    A day is closed once it is before `today` (default: today in UTC); later days are capped or,
    for an explicit `day`, refused: read an open day with `movements_arrow`. Re-exporting a day
    replaces its partition, so run it again after late offline uploads to a closed day.
    """
    today = today or utcnow().date()
    with _connection(source) as conn:
        counts = _days_to_export(conn, day=day, through=through, today=today)
        total = sum(counts.values())
        written: list[DayExport] = []
        done = 0
        for each_day, expected in counts.items():

            def advance(rows: int, before: int = done) -> None:
                if progress is not None:
                    progress(before + rows, total)

            path = partition_dir(out_dir, each_day) / PART_FILE
            rows = _write_day(conn, each_day, path, chunk_rows=chunk_rows, on_rows=advance)
            _remove_other_parts(path)
            written.append(DayExport(each_day, rows, path))
            done += expected
            _end_read(source, conn)
        places = _write_query(conn, _places_query(), PLACE_SCHEMA, out_dir / "places.parquet")
        residents = _write_query(
            conn, _residents_query(), RESIDENT_SCHEMA, out_dir / "residents.parquet"
        )
        divisions = _write_query(
            conn, _divisions_query(), DIVISION_SCHEMA, out_dir / "divisions.parquet"
        )
    if progress is not None:
        progress(total, total)
    return ExportSummary(out_dir, tuple(written), places, residents, divisions)


def movements_arrow(session: Session, day: date, *, chunk_rows: int = CHUNK_ROWS) -> pa.Table:
    """All movements of `day` (closed or not) as an Arrow table with the export's columns."""
    conn = session.connection()
    batches = list(_day_batches(conn, day, chunk_rows))
    return pa.Table.from_batches(batches, schema=MOVEMENT_SCHEMA)


def _days_to_export(
    conn: Connection, *, day: date | None, through: date | None, today: date
) -> dict[date, int]:
    """Row count of each day to write, oldest first."""
    last_closed = today - timedelta(days=1)
    if day is not None:
        if through is not None:
            raise InvalidInput("give either a day or a last day (through), not both")
        if day > last_closed:
            raise InvalidInput(
                f"{day.isoformat()} is not closed yet (today is {today.isoformat()} in UTC); "
                "only days before today are exported"
            )
        count = conn.scalar(select(func.count()).where(Movement.day == day)) or 0
        # An explicit day is written even when empty, so the export reflects the store.
        return {day: count}
    last = min(through, last_closed) if through is not None else last_closed
    query = (
        select(Movement.day, func.count())
        .where(Movement.day <= last)
        .group_by(Movement.day)
        .order_by(Movement.day)
    )
    return {found: count for found, count in conn.execute(query)}


def _write_day(
    conn: Connection, day: date, path: Path, *, chunk_rows: int, on_rows: Callable[[int], None]
) -> int:
    """Stream one day into `path` (atomically replaced); returns the rows written."""
    rows = 0
    with _atomic_writer(path, MOVEMENT_SCHEMA) as writer:
        for batch in _day_batches(conn, day, chunk_rows):
            writer.write_batch(batch)
            rows += batch.num_rows
            on_rows(rows)
    return rows


def _day_batches(conn: Connection, day: date, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """One day's movements in record batches of at most `chunk_rows`, fetched as streamed."""
    sqlite = conn.dialect.name == "sqlite"
    names = [name for name in MOVEMENT_SCHEMA.names if name != "day"]  # `day` is known
    table = Movement.__table__.c
    columns = [table.id if name == "record_id" else table[name] for name in names]
    # Skipping the per-row UTCDateTime conversion: SQLite's UTC text and psycopg's aware
    # datetimes are converted to Arrow timestamps a whole column at a time instead.
    occurred_at = names.index("occurred_at")
    columns[occurred_at] = type_coerce(
        columns[occurred_at], String() if sqlite else DateTime(timezone=True)
    )
    # No ORDER BY: sorting a 10-million-row day would cost more than it saves the reader; rows
    # come in index (SQLite) or physical (PostgreSQL) order, which is roughly arrival order.
    query = select(*columns).where(Movement.day == day)
    day_value = pa.scalar(day, pa.date32())
    for rows in _stream(conn, query, chunk_rows):
        values = dict(zip(names, zip(*rows, strict=True), strict=True))
        arrays = []
        for field in MOVEMENT_SCHEMA:
            if field.name == "day":
                arrays.append(pa.repeat(day_value, len(rows)))
            elif field.name == "occurred_at" and sqlite:
                arrays.append(_sqlite_timestamps(values["occurred_at"]))
            else:
                arrays.append(pa.array(values[field.name], field.type))
        yield pa.RecordBatch.from_arrays(arrays, schema=MOVEMENT_SCHEMA)


def _sqlite_timestamps(values: Sequence[str | None]) -> pa.Array:
    """SQLite's stored UTC text ("2020-02-11 08:30:00.000000") as UTC timestamps."""
    try:
        naive = pa.array(values, pa.string()).cast(pa.timestamp("us"))
    except pa.ArrowInvalid:
        # Rows written by other tools may carry an offset: parse those one by one.
        decode = UTCDateTime().process_result_value
        parsed = [None if v is None else decode(datetime.fromisoformat(v), None) for v in values]
        return pa.array(parsed, UTC_TIMESTAMP)
    # The text is UTC without an offset (UTCDateTime stores it so): label it, no shifting.
    return naive.cast(UTC_TIMESTAMP)


def _write_query(conn: Connection, query: AnySelect, schema: pa.Schema, path: Path) -> int:
    """Stream a reference table into `path` (atomically replaced); returns its rows."""
    rows = 0
    with _atomic_writer(path, schema) as writer:
        for chunk in _stream(conn, query, CHUNK_ROWS):
            columns = zip(*chunk, strict=True)
            arrays = [
                pa.array(values, field.type) for values, field in zip(columns, schema, strict=True)
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            rows += len(chunk)
    return rows


def _places_query() -> AnySelect:
    p = Place
    return select(p.id, p.code, p.kind, p.division_id, p.latitude, p.longitude).order_by(p.id)


def _residents_query() -> AnySelect:
    r = Resident
    return select(r.id, r.household_id, r.division_id, r.sex, r.birth_year).order_by(r.id)


def _divisions_query() -> AnySelect:
    d = Division
    return select(d.id, d.code, d.level, d.parent_id, d.path).order_by(d.id)


def _stream(conn: Connection, query: AnySelect, chunk_rows: int) -> Iterator[Sequence[Any]]:
    """Rows in lists of `chunk_rows`: a server-side cursor on PostgreSQL, SQLite's lazy one."""
    options = {"stream_results": True, "max_row_buffer": chunk_rows}
    result = conn.execute(query, execution_options=options)
    try:
        # fetchmany rather than partitions(): a fifth faster, as it skips a per-row buffer.
        while rows := result.fetchmany(chunk_rows):
            yield rows
    finally:
        result.close()


@contextmanager
def _atomic_writer(path: Path, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
    """A Parquet writer on a hidden temporary file that replaces `path` only once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A leading dot and no .parquet suffix: globs and pyarrow datasets skip the half-written file.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with pq.ParquetWriter(temporary, schema, compression=COMPRESSION) as writer:
            yield writer
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _remove_other_parts(kept: Path) -> None:
    """Drop any other Parquet file of the partition (a differently split earlier export)."""
    for other in kept.parent.glob("*.parquet"):
        if other.name != kept.name:
            other.unlink(missing_ok=True)


@contextmanager
def _connection(source: Engine | Session) -> Iterator[Connection]:
    if isinstance(source, Session):
        yield source.connection()
        return
    with source.connect() as conn:
        yield conn


def _end_read(source: Engine | Session, conn: Connection) -> None:
    """End our own read transaction after each day, so PostgreSQL can vacuum behind us."""
    if not isinstance(source, Session):
        conn.rollback()

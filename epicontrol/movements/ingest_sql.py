"""The statements of scan ingest, run on the driver's own connection, each in the form that is
fast on its backend.

Checkpoint scans arrive by the thousand a second, in groups (group commit) or batches of up to
10,000; these statements run once per group or batch. They are plain SQL strings run on the
session's DBAPI connection (the same transaction): building, compiling and binding them through
SQLAlchemy cost ~100-200 µs of Python each, more than the queries themselves (bench/RESULTS.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from epicontrol.core.db import in_chunks
from epicontrol.health_code.service import PassHolder
from epicontrol.movements.models import Direction

# Rows per multi-row INSERT on SQLite: 10 columns each, under its 32,766 bound parameters.
SQLITE_ROWS_PER_INSERT = 3_000

# The columns a scan fills, in the order of the rows built by ingest._row.
COLUMNS = [
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
]


class Statements:
    """The session's DBAPI connection and cursor, and which backend it is."""

    def __init__(self, db: Session) -> None:
        connection = db.connection()  # begins the session's transaction if none
        self.is_postgresql = connection.dialect.name == "postgresql"
        self.info = connection.info  # kept with the pooled DBAPI connection
        driver = connection.connection.driver_connection
        assert driver is not None
        self.driver: Any = driver
        self.cursor: Any = driver.cursor()

    def in_list(self, values: Sequence[Any]) -> Iterator[tuple[str, Sequence[Any]]]:
        """(placeholder text, parameters) for `column IN values`, in as few statements as the
        backend allows. PostgreSQL: one `= ANY(%s)` whatever the count (a prepared statement
        with 900 parameters gets a generic plan that compares every row with every value).
        SQLite: chunks under its bound-parameter limit."""
        if self.is_postgresql:
            # One text parameter split by the server: psycopg dumps a list parameter element
            # by element in Python (~1 µs each; 10,000 uuids were 10 ms). The values here are
            # uuids and pass ids, which hold no comma.
            yield "= ANY(string_to_array(%s, ','))", [",".join(values)]
            return
        for chunk in in_chunks(values):
            yield f"IN ({', '.join('?' * len(chunk))})", chunk


def sqlite_time(value: datetime) -> str:
    """A timestamp as SQLAlchemy's UTCDateTime writes it on SQLite (UTC, no zone, µs)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _read_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)  # SQLite: UTC without a zone


def pass_holders(sql: Statements, pass_ids: Sequence[str]) -> dict[str, PassHolder]:
    """The holder of each known pass id (unknown ids are absent), revocation included: read in
    the storing transaction for every group, so a revoked pass is refused at once."""
    found: dict[str, PassHolder] = {}
    for condition, parameters in sql.in_list(list(dict.fromkeys(pass_ids))):
        sql.cursor.execute(
            "SELECT p.pass_id, p.resident_id, p.revoked_at, r.name_masked "
            "FROM personal_passes p JOIN residents r ON r.id = p.resident_id "
            f"WHERE p.pass_id {condition}",
            parameters,
        )
        for pass_id, resident_id, revoked_at, name_masked in sql.cursor.fetchall():
            found[pass_id] = PassHolder(resident_id, _read_time(revoked_at), name_masked)
    return found


def existing_directions(sql: Statements, uuids: Sequence[str]) -> dict[str, str]:
    """Direction of each uuid already stored (these scans are retries)."""
    found: dict[str, str] = {}
    for condition, parameters in sql.in_list(uuids):
        sql.cursor.execute(
            f"SELECT client_uuid, direction FROM movements WHERE client_uuid {condition}",
            parameters,
        )
        found.update({uuid: d or Direction.IN.value for uuid, d in sql.cursor.fetchall()})
    return found


# Both walk the person's entries of the (resident_id, occurred_at, place_id) index newest first
# until one is at the place (the place is tested in the index; only the row found is read): a few
# entries for someone who comes and goes through the same gates. PostgreSQL answers a group's
# pairs in one statement; SQLite runs in-process, where a prepared probe per pair costs ~10-30 µs.
_NEWEST_DIRECTIONS_POSTGRESQL = (
    "SELECT v.place_id, v.resident_id, (SELECT m.direction FROM movements m "
    "WHERE m.place_id = v.place_id AND m.resident_id = v.resident_id "
    "ORDER BY m.occurred_at DESC LIMIT 1) "
    "FROM unnest(%s::int[], %s::int[]) AS v(place_id, resident_id)"
)
_NEWEST_DIRECTION_SQLITE = (
    "SELECT direction FROM movements WHERE place_id = ? AND resident_id = ? "
    "ORDER BY occurred_at DESC LIMIT 1"
)


def last_directions(sql: Statements, visits: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Direction of each (place, resident)'s newest record, the places of a group at once."""
    if not visits:
        return {}
    found = {}
    if sql.is_postgresql:
        places, residents = (list(column) for column in zip(*visits, strict=True))
        sql.cursor.execute(_NEWEST_DIRECTIONS_POSTGRESQL, (places, residents))
        for place, resident, direction in sql.cursor.fetchall():
            if direction:
                found[(place, resident)] = direction
        return found
    for visit in visits:
        row = sql.cursor.execute(_NEWEST_DIRECTION_SQLITE, visit).fetchone()
        if row and row[0]:
            found[visit] = row[0]
    return found


_INSERT_SQLITE = f"INSERT INTO movements ({', '.join(COLUMNS)}) VALUES "
_VALUES_SQLITE = f"({', '.join('?' * len(COLUMNS))})"
_CONFLICT = " ON CONFLICT (client_uuid) DO NOTHING RETURNING client_uuid, id"

# PostgreSQL: the rows are streamed with a binary COPY into a per-connection temporary table,
# then moved into movements by one INSERT ... SELECT: COPY costs ~2 µs a row where a multi-row
# VALUES insert costs ~30 µs (most of it building and parsing SQL text).
_STAGING = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS scan_staging (client_uuid varchar(36), "
    "kind varchar(16), direction varchar(3), resident_id int, place_id int, "
    "occurred_at timestamptz, day date, received_at timestamptz, device_id int, "
    "temperature float8) ON COMMIT DELETE ROWS"
)
_COPY = f"COPY scan_staging ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = ["varchar", "varchar", "varchar", "int4", "int4"]
_COPY_TYPES += ["timestamptz", "date", "timestamptz", "int4", "float8"]
# The staged rows go at commit (ON COMMIT DELETE ROWS); a second insert in the same
# transaction would move them again, which ON CONFLICT makes a no-op.
_MOVE_STAGED = (
    f"INSERT INTO movements ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
    f"FROM scan_staging{_CONFLICT}"
)


def insert_movements(sql: Statements, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Insert, skipping uuids already stored; returns the id of each row actually inserted
    (RETURNING tells a concurrent duplicate apart from a new scan without another query).
    Rows hold aware datetimes (occurred_at, received_at) and a date (day)."""
    if not rows:
        return {}
    if sql.is_postgresql:
        return _insert_postgresql(sql, rows)
    inserted: dict[str, int] = {}
    for start in range(0, len(rows), SQLITE_ROWS_PER_INSERT):
        chunk = rows[start : start + SQLITE_ROWS_PER_INSERT]
        parameters: list[Any] = []
        for row in chunk:
            parameters += row
            # As SQLAlchemy's types write them: timestamps as UTC text, the day as ISO text.
            parameters[-5] = sqlite_time(row[5])
            parameters[-4] = row[6].isoformat()
            parameters[-3] = sqlite_time(row[7])
        statement = _INSERT_SQLITE + ", ".join([_VALUES_SQLITE] * len(chunk)) + _CONFLICT
        sql.cursor.execute(statement, parameters)
        inserted.update(sql.cursor.fetchall())
    return inserted


# Up to this many rows (a group of single scans) PostgreSQL gets them as arrays in one INSERT:
# the staging table costs two more statements and its truncation at every commit (ON COMMIT
# DELETE ROWS), which cost more PostgreSQL CPU per group than a COPY saves on a few rows.
ARRAY_INSERT_ROWS = 500
_INSERT_ARRAYS = (
    f"INSERT INTO movements ({', '.join(COLUMNS)}) SELECT * FROM unnest(%s::varchar[], "
    "%s::varchar[], %s::varchar[], %s::int[], %s::int[], %s::timestamptz[], %s::date[], "
    f"%s::timestamptz[], %s::int[], %s::float8[]){_CONFLICT}"
)


def _insert_postgresql(sql: Statements, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    if len(rows) <= ARRAY_INSERT_ROWS:
        sql.cursor.execute(_INSERT_ARRAYS, [list(column) for column in zip(*rows, strict=True)])
        return dict(sql.cursor.fetchall())
    if not sql.info.get("scan_staging"):  # once per pooled connection, which it lives with
        sql.cursor.execute(_STAGING)
        sql.info["scan_staging"] = True
    with sql.cursor.copy(_COPY) as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row(row)
    sql.cursor.execute(_MOVE_STAGED)
    return dict(sql.cursor.fetchall())


_ALERT_COLUMNS = "movement_id, place_id, division_id, resident_id, temperature, created_at"
_ALERT_COLUMNS += ", is_handled, note"


def insert_temperature_alerts(sql: Statements, alerts: list[tuple[Any, ...]]) -> None:
    """Temperature alerts (movement id, place, division, resident, temperature, created at)."""
    if not alerts:
        return
    if sql.is_postgresql:
        sql.cursor.executemany(
            f"INSERT INTO temperature_alerts ({_ALERT_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, false, '')",
            alerts,
        )
        return
    sql.cursor.executemany(
        f"INSERT INTO temperature_alerts ({_ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 0, '')",
        [(*alert[:5], sqlite_time(alert[5])) for alert in alerts],
    )


_AUDIT_COLUMNS = "at, actor_user_id, actor, actor_role, action, entity, entity_id, purpose"
_AUDIT_COLUMNS += ", outcome, detail"


def insert_ingest_audit(
    sql: Statements, *, now: datetime, entity_id: int | None, purpose: str, detail: dict[str, Any]
) -> None:
    """The audit entry of a group commit, as audit.record(actor=None, action="ingest",
    entity="movement", ...) writes it. Why not audit.record: an ORM object makes the commit
    run a unit-of-work flush for one row, ~15% of the writer's CPU per group."""
    at: Any = now if sql.is_postgresql else sqlite_time(now)
    values: tuple[Any, ...] = (at, None, "anonymous", "public", "ingest", "movement")
    values += (None if entity_id is None else str(entity_id), purpose[:200], "allowed")
    values += (json.dumps(detail, ensure_ascii=False, sort_keys=True),)
    mark = "%s" if sql.is_postgresql else "?"
    sql.cursor.execute(
        f"INSERT INTO audit_log ({_AUDIT_COLUMNS}) VALUES ({', '.join([mark] * len(values))})",
        values,
    )

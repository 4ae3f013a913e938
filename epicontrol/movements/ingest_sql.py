"""The queries of scan ingest, each in the form that is fast on its backend.

Checkpoint scans arrive by the thousand a second, in groups (group commit) or batches of up to
10,000; these statements run once per group or batch, so each is shaped to stay one statement
(or one index probe per scan) whatever the count, on PostgreSQL and on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    any_,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from epicontrol.health_code.service import IN_CHUNKS
from epicontrol.movements.models import Direction, Movement

# Statements run on the session's connection (db.connection().execute): the same transaction,
# without the ORM's result machinery, which cost more than the query on these small results.


def existing_directions(db: Session, uuids: list[str]) -> dict[str, str]:
    """Direction of each uuid already stored (these scans are retries)."""
    found: dict[str, str] = {}
    for condition in where_in(db, Movement.client_uuid, uuids):
        query = select(Movement.client_uuid, Movement.direction).where(condition)
        found.update({uuid: d or Direction.IN.value for uuid, d in db.connection().execute(query)})
    return found


def last_directions(db: Session, visits: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Direction of each (place, resident)'s newest record, the places of a group at once.

    PostgreSQL: with an index on (resident_id, place_id, ...) a `LIMIT 1` probe per pair reads
    one row (0.3 ms for 30 pairs); without one, that probe costs ~1 ms a pair, and a window
    over those residents' records at those places is better (9 ms for 30 pairs, 17 ms for
    2,000; bench/RESULTS.md). A max(occurred_at) self-join goes quadratic when times repeat.
    """
    if not visits:
        return {}
    if db.get_bind().dialect.name != "postgresql":
        return _last_directions_sqlite(db, visits)
    indexed = _has_visit_index(db)
    query = _probe_per_visit(visits) if indexed else _window_over_visits(visits)
    rows = db.connection().execute(query)
    return {
        (place, resident): d for place, resident, d in rows if d and (place, resident) in visits
    }


_visit_indexes: dict[str, bool] = {}


def _has_visit_index(db: Session) -> bool:
    """Whether movements has an index leading with place_id and resident_id, in either order;
    looked up once per database (the schema is migrated before the app serves)."""
    connection = db.connection()
    url = str(connection.engine.url)
    if url not in _visit_indexes:
        indexes = inspect(connection).get_indexes("movements")
        leading = [frozenset(index["column_names"][:2]) for index in indexes]
        _visit_indexes[url] = frozenset(("place_id", "resident_id")) in leading
    return _visit_indexes[url]


def _probe_per_visit(visits: set[tuple[int, int]]) -> Select[int, int, str | None]:
    places, residents = (list(column) for column in zip(*sorted(visits), strict=True))
    arrays = (literal(places, ARRAY(Integer)), literal(residents, ARRAY(Integer)))
    pairs = func.unnest(*arrays).table_valued("place_id", "resident_id").render_derived()
    newest = (
        select(Movement.direction)
        .where(Movement.place_id == pairs.c.place_id, Movement.resident_id == pairs.c.resident_id)
        .order_by(Movement.occurred_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(pairs.c.place_id, pairs.c.resident_id, newest)


def _window_over_visits(visits: set[tuple[int, int]]) -> Select[int, int, str | None]:
    places = sorted({place for place, _ in visits})
    residents = sorted({resident for _, resident in visits})
    newest_first = (
        func.row_number()
        .over(
            partition_by=(Movement.place_id, Movement.resident_id),
            order_by=Movement.occurred_at.desc(),
        )
        .label("newest_first")
    )
    ranked = (
        select(Movement.place_id, Movement.resident_id, Movement.direction, newest_first)
        .where(
            Movement.place_id == any_(literal(places, ARRAY(Integer))),
            Movement.resident_id == any_(literal(residents, ARRAY(Integer))),
        )
        .subquery()
    )
    return select(ranked.c.place_id, ranked.c.resident_id, ranked.c.direction).where(
        ranked.c.newest_first == 1
    )


# SQLite runs in-process: a prepared `ORDER BY occurred_at DESC LIMIT 1` per pair costs ~10-30 µs
# (its planner walks the resident's records newest first), where the same pairs as a VALUES
# table cost SQLAlchemy ~60 µs each to bind.
_NEWEST_DIRECTION_SQLITE = (
    "SELECT direction FROM movements WHERE place_id = ? AND resident_id = ? "
    "ORDER BY occurred_at DESC LIMIT 1"
)


def _last_directions_sqlite(
    db: Session, visits: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    driver = db.connection().connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    found = {}
    for visit in visits:
        row = cursor.execute(_NEWEST_DIRECTION_SQLITE, visit).fetchone()
        if row and row[0]:
            found[visit] = row[0]
    cursor.close()
    return found


def where_in(db: Session, column: Any, values: list[Any]) -> Iterator[ColumnElement[bool]]:
    """`column IN values` in as few statements as the backend allows. PostgreSQL: one
    `= ANY(array)`, whatever the count (psycopg prepares a statement run five times, and the
    generic plan of a 900-parameter IN list compares every row with every value: seconds on a
    young table). SQLite: chunks under its bound-parameter limit."""
    if db.get_bind().dialect.name == "postgresql":
        yield column == any_(literal(values, ARRAY(column.type)))
        return
    for start in range(0, len(values), IN_CHUNKS):
        yield column.in_(values[start : start + IN_CHUNKS])


# The columns a scan fills. On PostgreSQL they are streamed with a binary COPY into this
# per-connection temporary table, then moved into movements by one INSERT ... SELECT: COPY costs
# ~2 µs a row where a multi-row VALUES insert costs ~30 µs (most of it building and parsing
# SQL text) and arrays passed to unnest() ~17 µs (psycopg dumps arrays in Python).
_staging = Table(
    "scan_staging",
    MetaData(),  # not Base.metadata: no migration, it lives and dies with the connection
    Column("client_uuid", String(36)),
    Column("kind", String(16)),
    Column("direction", String(3)),
    Column("resident_id", Integer),
    Column("place_id", Integer),
    Column("occurred_at", DateTime(timezone=True)),
    Column("day", Date),
    Column("received_at", DateTime(timezone=True)),
    Column("device_id", Integer),
    Column("temperature", Float),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
COLUMNS = [column.name for column in _staging.columns]
_COPY = f"COPY scan_staging ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = ["varchar", "varchar", "varchar", "int4", "int4"]
_COPY_TYPES += ["timestamptz", "date", "timestamptz", "int4", "float8"]


def insert_movements(db: Session, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Insert, skipping uuids already stored; returns the id of each row actually inserted
    (RETURNING tells a concurrent duplicate apart from a new scan without another query)."""
    if not rows:
        return {}
    table = cast(Table, Movement.__table__)
    if db.get_bind().dialect.name != "postgresql":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        many = (
            sqlite_insert(table)
            .on_conflict_do_nothing(index_elements=["client_uuid"])
            .returning(table.c.client_uuid, table.c.id)
        )
        named = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        return {uuid: movement_id for uuid, movement_id in db.connection().execute(many, named)}
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    connection = db.connection()
    if not connection.info.get("scan_staging"):  # once per pooled connection
        connection.execute(CreateTable(_staging, if_not_exists=True))
        connection.info["scan_staging"] = True
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row(row)
    staged = select(*[_staging.c[name] for name in COLUMNS])
    moved = (
        pg_insert(table)
        .from_select(COLUMNS, staged)
        .on_conflict_do_nothing(index_elements=["client_uuid"])
        .returning(table.c.client_uuid, table.c.id)
    )
    # The staged rows go at commit (ON COMMIT DELETE ROWS); a second insert in the same
    # transaction would move them again, which ON CONFLICT makes a no-op.
    return {uuid: movement_id for uuid, movement_id in connection.execute(moved)}

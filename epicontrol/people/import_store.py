"""Store access of the register import: look-ups, and bulk writers for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from types import TracebackType
from typing import Any, Protocol, cast

import psycopg
from sqlalchemy import Column, String, Table, any_, bindparam, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from epicontrol.core.errors import Conflict
from epicontrol.core.models import ImportRecord
from epicontrol.divisions.models import Division
from epicontrol.people.models import Household, Resident

HOUSEHOLDS = cast(Table, Household.__table__)
RESIDENTS = cast(Table, Resident.__table__)
HOUSEHOLD_COLUMNS = ("id", "division_id", "address_enc", "address_hash")
# A resident row as the importer builds it; the writer adds registered_at, the same for all.
RESIDENT_COLUMNS = (
    "division_id",
    "household_id",
    "id_number_hash",
    "id_number_enc",
    "name_enc",
    "name_masked",
    "phone_hash",
    "phone_enc",
    "sex",
    "birth_year",
    "occupation",
    "source",
    "import_id",
)
# The checks ran before the writes; another transaction can still register one of the same
# people (or delete a grid) in between, and then the unique index or a foreign key refuses.
STORE_CHANGED = (
    "the store changed while this file was being imported (one of its residents was registered "
    "meanwhile, or a grid was removed); nothing was imported, please try again"
)
_INSERT_CHUNK = 20_000
_SQLITE_IN_CHUNK = 10_000  # well under SQLite's 32,766 host parameters per statement
_POSTGRES_ANY_CHUNK = 100_000
# Random-keyed indexes (ID and phone hashes) thrash SQLite's default 2 MB page cache on a
# million-row import; 256 MB for the length of the import roughly halves the insert time.
_SQLITE_IMPORT_CACHE_KIB = 256 * 1024


def divisions_by_code(session: Session, codes: Collection[str]) -> dict[str, tuple[int, str]]:
    """(id, level) of each division whose code is among `codes`."""
    table = cast(Table, Division.__table__)
    rows = _rows_matching(
        session, (table.c.code, table.c.id, table.c.level), table.c.code, [c for c in codes if c]
    )
    return {code: (division_id, level) for code, division_id, level in rows}


def existing_values(session: Session, column: Column[Any], values: list[str]) -> set[str]:
    """The members of `values` already present in `column` (an indexed text column)."""
    return {value for (value,) in _rows_matching(session, (column,), column, values)}


def households_by_ref_hash(session: Session, ref_hashes: list[str]) -> dict[str, int]:
    """Household id of each household reference hash stored by an earlier import."""
    found: dict[str, int] = {}
    columns = (HOUSEHOLDS.c.address_hash, HOUSEHOLDS.c.id)
    for ref_hash, household_id in _rows_matching(
        session, columns, HOUSEHOLDS.c.address_hash, ref_hashes
    ):
        found[ref_hash] = min(household_id, found.get(ref_hash, household_id))
    return found


def _rows_matching(
    session: Session, columns: tuple[Column[Any], ...], key: Column[Any], values: list[str]
) -> Iterator[Sequence[Any]]:
    """Rows of `columns` whose `key` is one of `values`, asked for a chunk at a time."""
    if not values or session.execute(select(key).limit(1)).first() is None:
        return  # an empty table (a city's first import) needs no look-up at all
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter per chunk rather than 100,000 bound placeholders.
        statement = select(*columns).where(key == any_(bindparam("values", type_=ARRAY(String))))
        for start in range(0, len(values), _POSTGRES_ANY_CHUNK):
            yield from session.execute(
                statement, {"values": values[start : start + _POSTGRES_ANY_CHUNK]}
            )
        return
    for start in range(0, len(values), _SQLITE_IN_CHUNK):
        yield from session.execute(
            select(*columns).where(key.in_(values[start : start + _SQLITE_IN_CHUNK]))
        )


def previous_import(session: Session, file_sha256: str) -> ImportRecord | None:
    """The import record of a file with these bytes, if it was imported before."""
    return session.scalars(
        select(ImportRecord).where(ImportRecord.file_sha256 == file_sha256)
    ).first()


class RegisterWriter(Protocol):
    """Bulk writes of one import, inside the caller's transaction."""

    # Whether rows should arrive ordered by their random hash key (resident ID hash, household
    # reference hash), so that the unique index fills from one end instead of all over.
    sort_by_hash: bool

    def __enter__(self) -> RegisterWriter: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def reserve_household_ids(self, count: int) -> list[int]: ...

    def insert_households(self, rows: list[tuple[int, int, bytes | None, str | None]]) -> None: ...

    def insert_residents(
        self, rows: Iterable[tuple[Any, ...]], registered_at: datetime
    ) -> None: ...


def writer_for(session: Session) -> RegisterWriter:
    """The bulk writer for the session's database (call after the session has written once)."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgresRegisterWriter(session)
    return SqliteRegisterWriter(session)


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SqliteRegisterWriter:
    """executemany of pre-bound tuples: Core's per-value bind processing would cost ~40%."""

    sort_by_hash = False  # measured: no less CPU with SQLite, whose page cache holds the indexes

    def __init__(self, session: Session) -> None:
        self._connection = session.connection()
        self._dialect = self._connection.dialect
        self._saved_cache_size: int | None = None

    def __enter__(self) -> SqliteRegisterWriter:
        self._saved_cache_size = self._connection.exec_driver_sql("PRAGMA cache_size").scalar()
        self._connection.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_IMPORT_CACHE_KIB}")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._saved_cache_size is None:
            return
        # The pooled connection outlives this import, so its cache goes back to its usual size;
        # a failure to do so must not hide the error that ended the import.
        with contextlib.suppress(DBAPIError) if error is not None else contextlib.nullcontext():
            self._connection.exec_driver_sql(f"PRAGMA cache_size={int(self._saved_cache_size)}")

    def reserve_household_ids(self, count: int) -> list[int]:
        # Safe only while this transaction holds SQLite's single write lock, which the import
        # record written before guarantees: no other writer can take these ids meanwhile.
        top = self._connection.execute(text("SELECT coalesce(max(id), 0) FROM households"))
        first = int(top.scalar_one()) + 1
        return list(range(first, first + count))

    def insert_households(self, rows: list[tuple[int, int, bytes | None, str | None]]) -> None:
        sql = self._insert_sql(HOUSEHOLDS, HOUSEHOLD_COLUMNS)
        try:
            for chunk in _chunks(rows, _INSERT_CHUNK):
                self._connection.exec_driver_sql(sql, chunk)
        except IntegrityError as error:
            raise Conflict(STORE_CHANGED) from error

    def insert_residents(self, rows: Iterable[tuple[Any, ...]], registered_at: datetime) -> None:
        table = RESIDENTS
        sql = self._insert_sql(table, (*RESIDENT_COLUMNS, "registered_at"))
        stored_at = self._bound(table.c.registered_at, registered_at)
        try:
            for chunk in _chunks(rows, _INSERT_CHUNK):
                self._connection.exec_driver_sql(sql, [row + (stored_at,) for row in chunk])
        except IntegrityError as error:
            raise Conflict(STORE_CHANGED) from error

    def _insert_sql(self, table: Table, columns: tuple[str, ...]) -> str:
        compiled = insert(table).compile(dialect=self._dialect, column_keys=list(columns))
        if tuple(compiled.positiontup or ()) != columns:
            raise RuntimeError(f"column order of {table.name} differs from {columns}")
        return str(compiled)

    def _bound(self, column: Column[Any], value: Any) -> Any:
        """The value as SQLAlchemy would hand it to the driver for this column."""
        processor = column.type.dialect_impl(self._dialect).bind_processor(self._dialect)
        return processor(value) if processor else value


# Binary COPY sends each value in the column's own binary format, so it must name the types.
_POSTGRES_COPY_TYPES: dict[type, str] = {
    int: "int4",
    str: "text",
    bytes: "bytea",
    datetime: "timestamptz",
}


def _postgres_copy_type(column: Column[Any]) -> str:
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return _POSTGRES_COPY_TYPES[column_type.python_type]


class PostgresRegisterWriter:
    """COPY ... FROM STDIN (binary) on the session's own connection, so it shares the transaction.

    The server checks the foreign keys and fills the indexes while this process is still
    encrypting the rows that follow, which uses both cores.
    """

    # Measured on 1M residents: 25-28 s of server CPU in file order, 18-20 s in hash order, as
    # the random-keyed unique index stops evicting and re-reading pages of shared_buffers.
    sort_by_hash = True

    def __init__(self, session: Session) -> None:
        self._connection = session.connection()
        driver = self._connection.connection.driver_connection
        if driver is None:
            raise RuntimeError("the session's connection is closed")
        self._driver = driver

    def __enter__(self) -> PostgresRegisterWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def reserve_household_ids(self, count: int) -> list[int]:
        statement = text(
            "SELECT nextval(pg_get_serial_sequence('households', 'id')) "
            "FROM generate_series(1, :count)"
        )
        return [int(value) for value in self._connection.scalars(statement, {"count": count})]

    def insert_households(self, rows: list[tuple[int, int, bytes | None, str | None]]) -> None:
        self._copy(HOUSEHOLDS, HOUSEHOLD_COLUMNS, rows)

    def insert_residents(self, rows: Iterable[tuple[Any, ...]], registered_at: datetime) -> None:
        columns = (*RESIDENT_COLUMNS, "registered_at")
        self._copy(RESIDENTS, columns, (row + (registered_at,) for row in rows))

    def _copy(
        self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        quote = self._connection.dialect.identifier_preparer.quote
        types = [_postgres_copy_type(table.c[name]) for name in columns]
        sql = (
            f"COPY {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "
            "FROM STDIN (FORMAT BINARY)"
        )
        try:
            with self._driver.cursor() as cursor, cursor.copy(sql) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.IntegrityError as error:
            raise Conflict(STORE_CHANGED) from error

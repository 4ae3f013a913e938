"""The DuckDB adapter: in-process, the default engine; runs the definitions as written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa
from sqlglot import exp

from epicontrol.tracing.engines.base import Engine, check_name, parquet_files

if TYPE_CHECKING:
    import duckdb


# Rows per Arrow batch when results stream out of DuckDB.
STREAM_BATCH_ROWS = 1 << 20


class DuckDBEngine(Engine):
    """An in-memory DuckDB database (or a file, for spilling very large runs)."""

    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    registers_arrow_without_copy: ClassVar[bool] = True

    def __init__(
        self,
        *,
        database: str = ":memory:",
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        import duckdb  # heavy: imported when an engine is made, not with the package

        config: dict[str, str | bool | int | float | list[str]] = {}
        if threads is not None:
            config["threads"] = threads
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        self._connection: duckdb.DuckDBPyConnection | None = duckdb.connect(database, config=config)
        # What each name is, so that replacing it drops the right kind of object.
        self._kinds: dict[str, str] = {}

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The open connection (for tests and benchmarks that look inside)."""
        if self._connection is None:
            raise RuntimeError("the DuckDB engine is closed")
        return self._connection

    def _drop(self, name: str) -> None:
        kind = self._kinds.pop(name, None)
        if kind == "arrow":
            self.connection.unregister(name)
        elif kind is not None:
            # sqlglot 30 names the dropped relations in `tables` (`this` renders nothing).
            drop = exp.Drop(tables=[exp.to_table(name)], kind=kind, exists=True)
            self.connection.execute(self.sql(drop))

    def register(self, name: str, table: pa.Table) -> None:
        """A view over the Arrow table's buffers (no copy)."""
        self._drop(check_name(name))
        self.connection.register(name, table)
        self._kinds[name] = "arrow"

    def register_parquet(self, name: str, path: Path | str) -> None:
        """A view over the Parquet files, read afresh by each query (projection pushed down)."""
        self._drop(check_name(name))
        files, is_folder = parquet_files(path)
        pattern = str(Path(files) / "**" / "*.parquet") if is_folder else files
        relation = self.connection.read_parquet(pattern, hive_partitioning=False)
        relation.create_view(name, replace=True)
        self._kinds[name] = "VIEW"

    def create_view(self, name: str, query: exp.Query, *, materialize: bool = False) -> None:
        """A temporary view, or a temporary table when materialized."""
        self._drop(check_name(name))
        kind = "TABLE" if materialize else "VIEW"
        create = exp.Create(
            this=exp.to_table(name),
            kind=kind,
            expression=query,
            replace=True,
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        )
        self.connection.execute(self.sql(create))
        self._kinds[name] = kind

    def query(self, expression: exp.Query) -> pa.Table:
        """The result as one Arrow table, streamed out in batches: a result collected inside
        DuckDB counts against its memory limit, and tens of millions of secondary contacts
        would not fit beside the sort that produced them."""
        relation = self.connection.sql(self.sql(expression))
        table: pa.Table = relation.to_arrow_reader(STREAM_BATCH_ROWS).read_all()
        return table

    def close(self) -> None:
        """Close the database; its temporary relations go with it."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self._kinds.clear()

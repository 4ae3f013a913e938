"""The Spark adapter: local mode on one machine, or a cluster's `master` URL; sqlglot transpiles."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
from sqlglot import exp

from epicontrol.tracing.engines.base import Engine, check_name, parquet_files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MASTER = "local[*]"
# Integer epoch arithmetic needs no time zone, but reading Parquet timestamps and printing them
# should not depend on the machine's.
BASE_CONFIG: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    # Console progress bars would tear through the CLI's own progress display.
    "spark.ui.showConsoleProgress": "false",
}
# Local mode on a few cores: Spark's default of 200 shuffle partitions is mostly overhead.
LOCAL_CONFIG: Mapping[str, str] = {
    "spark.sql.shuffle.partitions": "8",
    # Bind and advertise loopback: on a host whose name resolves elsewhere the driver would
    # advertise an address nobody listens on, and large task results would be lost.
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    # In local mode the driver is the executor: 1 GiB (the default) runs out on broadcasts.
    "spark.driver.memory": "2g",
}


def start_session(
    master: str | None = None, config: Mapping[str, str] | None = None
) -> SparkSession:
    """A Spark session (the running one if there is one) for `master`, local by default."""
    from pyspark.sql import SparkSession

    url = master or DEFAULT_MASTER
    builder: Any = SparkSession.builder.master(url).appName("epicontrol-tracing")
    settings = {
        **BASE_CONFIG,
        **(LOCAL_CONFIG if url.startswith("local") else {}),
        **(config or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    return session


class SparkEngine(Engine):
    """Spark SQL over temporary views; materialized steps are local checkpoints."""

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    is_distributed: ClassVar[bool] = True

    def __init__(
        self,
        *,
        master: str | None = None,
        session: SparkSession | None = None,
        config: Mapping[str, str] | None = None,
    ) -> None:
        # A session passed in (a test fixture's, a notebook's) is borrowed and left running.
        self._owns_session = session is None
        self._session: SparkSession | None = session or start_session(master, config)
        self._views: set[str] = set()
        self._checkpoints: list[DataFrame] = []

    @property
    def session(self) -> SparkSession:
        """The Spark session in use."""
        if self._session is None:
            raise RuntimeError("the Spark engine is closed")
        return self._session

    def _name(self, name: str, frame: DataFrame) -> None:
        frame.createOrReplaceTempView(check_name(name))
        self._views.add(name)

    def register(self, name: str, table: pa.Table) -> None:
        """An Arrow table as a DataFrame (Spark 4 reads Arrow directly)."""
        self._name(name, self.session.createDataFrame(table))

    def register_parquet(self, name: str, path: Path | str) -> None:
        """Parquet files as a DataFrame; a folder is read recursively, without partition
        discovery (the files carry their `day`, which would clash with the folder's)."""
        files, is_folder = parquet_files(path)
        reader = self.session.read
        if is_folder:
            reader = reader.option("recursiveFileLookup", "true")
        self._name(name, reader.parquet(files))

    def create_view(self, name: str, query: exp.Query, *, materialize: bool = False) -> None:
        """A temporary view; a materialized one is computed now and kept by the executors.

        An eager local checkpoint rather than `persist()`: later steps then plan against a
        plain scan instead of re-optimising the whole lineage each time, which made a small
        trace seven times slower. Its blocks go when the DataFrame is dropped (ContextCleaner);
        an executor lost on a cluster loses them, and the trace must be run again.
        """
        frame = self.session.sql(self.sql(query))
        if materialize:
            frame = frame.localCheckpoint(eager=True)
            self._checkpoints.append(frame)
        self._name(name, frame)

    def query(self, expression: exp.Query) -> pa.Table:
        """The result collected to the driver as Arrow."""
        frame = self.session.sql(self.sql(expression))
        if hasattr(frame, "toArrow"):  # Spark 4
            table: pa.Table = frame.toArrow()
            return table
        return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)

    def close(self) -> None:
        """Drop this engine's views and checkpoints; stop the session if this engine started it."""
        if self._session is None:
            return
        for name in self._views:
            self._session.catalog.dropTempView(name)
        if self._owns_session:
            self._session.stop()
        self._session = None
        self._checkpoints.clear()
        self._views.clear()

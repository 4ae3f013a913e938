"""The one definition on DuckDB and on Spark (local mode) gives identical contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from epicontrol.tracing import schema
from epicontrol.tracing.engine import trace, trace_city_directory
from epicontrol.tracing.engines import DuckDBEngine, Engine, SparkEngine
from epicontrol.tracing.visits import VisitsSource
from tests.tracing import engine_scenarios as town

pytestmark = pytest.mark.slow


def _trace_town(engine: Engine, directory: Path) -> pa.Table:
    with engine:
        return trace(
            engine,
            visits_source=VisitsSource(directory / "movements", directory / "places.parquet"),
            case_windows=town.CASE_WINDOWS,
            households=town.HOUSEHOLDS,
            now_s=town.T0 + town.NOW_MINUTES * town.MINUTE,
            contact_isolations=town.CONTACT_ISOLATIONS,
        )


def test_town_contacts_are_identical_on_duckdb_and_spark(
    tmp_path: Path, spark_session: Any
) -> None:
    directory = town.write_town(tmp_path)
    on_duckdb = _trace_town(DuckDBEngine(), directory)
    on_spark = _trace_town(SparkEngine(session=spark_session), directory)
    assert on_spark.schema == schema.CONTACTS
    assert town.as_rows(on_spark) == town.expected_rows()
    assert on_spark.equals(on_duckdb)


def test_city_contacts_are_identical_on_duckdb_and_spark(
    small_city: Path, spark_session: Any
) -> None:
    on_duckdb = trace_city_directory(small_city, engine_name="duckdb")
    on_spark = trace_city_directory(
        small_city, engine_name="spark", engine_options={"session": spark_session}
    )
    assert on_duckdb.num_rows > 1_000
    assert on_spark.equals(on_duckdb)


def test_spark_engine_leaves_a_borrowed_session_running(spark_session: Any) -> None:
    engine = SparkEngine(session=spark_session)
    engine.register("numbers", pa.table({"n": [1, 2, 3]}))
    engine.close()
    assert spark_session.sql("SELECT 1 AS one").collect()[0]["one"] == 1
    assert not spark_session.catalog.tableExists("numbers")

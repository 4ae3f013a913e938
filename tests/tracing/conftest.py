"""Fixtures of the tracing engine's tests: one Spark session for the run, one small city."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from epicontrol.demo.build import build_city_parquet

# Seed 2 gives 16 place and 3 household infections whose infector is a detected case in a week.
CITY = {"residents": 3000, "days": 7, "seed": 2, "start": date(2020, 1, 20)}


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """A local Spark session shared by every Spark test (starting one takes ~20 s)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java: run scripts/ensure-java.sh")
    from epicontrol.tracing.engines.spark import start_session

    # Two shuffle partitions: the fixtures are tiny, and each partition is a task to schedule.
    session = start_session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic city of 3,000 residents over a week, as Parquet (about a second to build)."""
    directory = tmp_path_factory.mktemp("city")
    build_city_parquet(directory, secret="x", **CITY)
    return directory

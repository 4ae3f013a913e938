"""Fixtures of the synthetic-city tests: one small city, built once, as Parquet and in memory."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from epicontrol.demo.build import build_city_parquet
from epicontrol.demo.city import City, CitySpec, generate_city

# Small enough to build in well under a second; seed 7 gives both household and place
# transmission within the five days.
SMALL_CITY: dict[str, Any] = {
    "residents": 2_000,
    "days": 5,
    "seed": 7,
    "start": date(2020, 1, 20),
}
SECRET = "test-secret-of-the-synthetic-city"


@pytest.fixture(scope="session")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small city written as Parquet."""
    out = tmp_path_factory.mktemp("city")
    build_city_parquet(out, secret=SECRET, **SMALL_CITY)
    return out


@pytest.fixture(scope="session")
def demo_city() -> City:
    """The same small city in memory, identities in clear."""
    return generate_city(CitySpec(**SMALL_CITY))

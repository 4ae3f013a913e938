"""Synthetic city generator: demo data, test fixtures and benchmark data (see build.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from epicontrol.demo.build import CitySummary, build_city_into_db, build_city_parquet

__all__ = ["CitySummary", "build_city_into_db", "build_city_parquet"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing epicontrol.demo.cli for the CLI does not load numpy and pyarrow.
    if name in __all__:
        from epicontrol.demo import build

        return getattr(build, name)
    raise AttributeError(f"module 'epicontrol.demo' has no attribute {name!r}")

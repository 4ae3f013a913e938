"""Engine adapters by name: the one place that knows which engines exist."""

from __future__ import annotations

from typing import Any

from epicontrol.tracing.engines.base import Engine
from epicontrol.tracing.engines.duckdb import DuckDBEngine
from epicontrol.tracing.engines.spark import SparkEngine

# Importing the adapters is cheap: each imports its engine library only when constructed.
ENGINES: dict[str, type[Engine]] = {
    DuckDBEngine.name: DuckDBEngine,
    SparkEngine.name: SparkEngine,
}


def engine_for(name: str, **options: Any) -> Engine:
    """A new engine of that name, e.g. `engine_for("spark", master="spark://host:7077")`."""
    try:
        adapter = ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown engine {name!r}; choose one of {known}") from None
    return adapter(**options)


__all__ = ["ENGINES", "DuckDBEngine", "Engine", "SparkEngine", "engine_for"]

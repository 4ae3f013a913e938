"""The small interface every analytical engine adapter implements (DuckDB, Spark)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

import pyarrow as pa
from sqlglot import exp

# Relation names are ours (definitions.py), never a user's; checked anyway, since they are
# placed into statements as identifiers.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_name(name: str) -> str:
    """`name` if it is a plain identifier; raises ValueError otherwise."""
    if not _NAME.match(name):
        raise ValueError(f"not a plain relation name: {name!r}")
    return name


def parquet_files(path: Path | str) -> tuple[str, bool]:
    """(what to read, whether it is a folder to read recursively) for a file, glob or folder."""
    text = str(path)
    if any(char in text for char in "*?[") or not Path(text).is_dir():
        return text, False
    return text, True


class Engine(ABC):
    """An engine that holds named relations and answers queries written as sqlglot expressions.

    Capability flags tell the pipeline what the engine is good at; SQL reaches the engine only
    through `sql()`, which renders an expression in the engine's dialect.
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    # Whether materialized steps are kept in memory across the cluster rather than in-process.
    is_distributed: ClassVar[bool] = False
    # Whether `register` of an Arrow table avoids copying it (a view over its buffers).
    registers_arrow_without_copy: ClassVar[bool] = False

    def sql(self, expression: exp.Expr) -> str:
        """The expression as text in this engine's dialect."""
        return expression.sql(dialect=self.dialect)

    @abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as `name` (replacing any relation of that name)."""

    @abstractmethod
    def register_parquet(self, name: str, path: Path | str) -> None:
        """Make Parquet files queryable as `name`: one file, a glob, or a folder read
        recursively (hive folder names such as `day=...` are not parsed: the files carry it)."""

    @abstractmethod
    def create_view(self, name: str, query: exp.Query, *, materialize: bool = False) -> None:
        """Name a query; `materialize` computes it once (a small result read several times)."""

    @abstractmethod
    def query(self, expression: exp.Query) -> pa.Table:
        """Run a query and return its rows as an Arrow table."""

    @abstractmethod
    def close(self) -> None:
        """Release what this engine holds (relations, sessions it started)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

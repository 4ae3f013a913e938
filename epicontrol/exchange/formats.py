"""Encoders that turn batches of rows into CSV, Parquet or Arrow IPC bytes, one batch at a time.

Each encoder yields the bytes of a batch as soon as it is written, so an export holds one batch
(and, for Parquet, one row group) in memory however long it is.

pandas is kept out of the process: the first `pa.array()` of a process asks pyarrow's pandas
shim whether pandas is installed, and the shim imports it to find out (~35 MB more resident
memory in a running server, which an export never uses: `pa.array` only wants to know whether
its argument is a pandas Series). `pyarrow_without_pandas` answers that question once with
pandas hidden.
"""

from __future__ import annotations

import csv
import io
import sys
import threading
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}
# A batch: one list of values per field, in the fields' order.
Columns = list[list[Any]]


class _Drain(io.RawIOBase):
    """A write-only file whose written bytes are taken out after each batch."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


class _HidePandas:
    """An import finder that reports pandas missing (sys.modules["pandas"] = None would not:
    the Cython import takes the None as the module)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


_probe_lock = threading.Lock()
_probed = False


def pyarrow_without_pandas() -> ModuleType:
    """pyarrow, its pandas probe answered "not installed" unless pandas is already loaded.

    The shim remembers the answer of its first, non-raising probe (`_have_pandas_internal`,
    asked by every `pa.array`); calls that need pandas (`to_pandas`) probe again and import
    it then, so nothing that wants pandas loses it. Where pandas is loaded already, this
    changes nothing. The window in which `import pandas` fails is one empty `pa.array` call
    under a lock, once per process; nothing in epicontrol imports pandas on its own.
    """
    global _probed
    import pyarrow as pa

    if _probed:
        return pa
    with _probe_lock:
        if not _probed:
            if "pandas" not in sys.modules:
                finder = _HidePandas()
                sys.meta_path.insert(0, finder)
                try:
                    pa.array([], type=pa.int64())
                finally:
                    sys.meta_path.remove(finder)
            _probed = True
    return pa


def arrow_schema(fields: list[tuple[str, str]]) -> pa.Schema:
    """The Arrow schema of (name, kind) fields (kinds of datasets.KINDS)."""
    pa = pyarrow_without_pandas()

    types = {
        "string": pa.string(),
        "int": pa.int64(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "bool": pa.bool_(),
    }
    return pa.schema([(name, types[kind]) for name, kind in fields])


def record_batch(schema: pa.Schema, columns: list[list[Any]]) -> pa.RecordBatch:
    """A record batch of `schema` from one Python list per column."""
    pa = pyarrow_without_pandas()

    # The system allocator hands freed batches back to the OS; Arrow's default pool keeps them.
    pool = pa.system_memory_pool()
    arrays = [
        pa.array(col, type=f.type, memory_pool=pool) for col, f in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def encode_csv(fields: list[tuple[str, str]], batches: Iterable[Columns]) -> Iterator[bytes]:
    """RFC 4180 CSV in UTF-8 with a header line; empty for NULL, timestamps in ISO 8601.

    The csv module, not pyarrow: no Arrow arrays to build for a text format, and no pyarrow
    in a process that has not loaded it (the tracing engine loads it in a full server).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name for name, _ in fields])
    for columns in batches:
        writer.writerows(zip(*columns, strict=True))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def _record_batches(schema: pa.Schema, batches: Iterable[Columns]) -> Iterator[pa.RecordBatch]:
    for columns in batches:
        yield record_batch(schema, columns)


def encode_arrow(fields: list[tuple[str, str]], batches: Iterable[Columns]) -> Iterator[bytes]:
    """The Arrow IPC stream format: schema, a record batch per batch, end-of-stream marker."""
    pa = pyarrow_without_pandas()
    schema = arrow_schema(fields)
    sink = _Drain()
    with pa.ipc.new_stream(sink, schema) as writer:
        for batch in _record_batches(schema, batches):
            writer.write_batch(batch)
            del batch  # not kept while the next one is read
            yield sink.take()
    yield sink.take()


# Rows per Parquet row group: ten 5,000-row batches. The writer keeps every row group's metadata
# until the footer, ~5 KB per group here; 5,000-row groups grew the server by ~20 MB over 10
# million rows (2,000 groups), 50,000-row groups by ~2 MB, for ~3 MB of Arrow data held meanwhile.
# Readers prefer the larger groups too (fewer, longer column chunks).
ROW_GROUP_ROWS = 50_000


def encode_parquet(
    fields: list[tuple[str, str]],
    batches: Iterable[Columns],
    row_group_rows: int = ROW_GROUP_ROWS,
) -> Iterator[bytes]:
    """Parquet (zstd), a row group per `row_group_rows` rows; the footer (row-group index) last.

    Batches are converted to Arrow as they come and held until a row group is full, then
    written and their bytes drained at once. The writer's encoding buffers come from the system
    allocator, which returns them to the OS, not from Arrow's default pool, which keeps them.
    """
    arrow = pyarrow_without_pandas()
    import pyarrow.parquet as pq

    schema = arrow_schema(fields)
    sink = _Drain()
    pool = arrow.system_memory_pool()
    pending: list[pa.RecordBatch] = []
    with pq.ParquetWriter(sink, schema, compression="zstd", memory_pool=pool) as writer:

        def flush() -> bytes:
            table = arrow.Table.from_batches(pending, schema=schema)
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
            pending.clear()  # the batches go now, not when the next group is full
            return sink.take()

        for batch in _record_batches(schema, batches):
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= row_group_rows:
                yield flush()
        if pending:
            yield flush()
    yield sink.take()


def encode(fmt: str, fields: list[tuple[str, str]], batches: Iterable[Columns]) -> Iterator[bytes]:
    """The encoder of `fmt` (a key of FORMATS) over `batches`; empty chunks are skipped."""
    encoder = {"csv": encode_csv, "parquet": encode_parquet, "arrow": encode_arrow}[fmt]
    return (chunk for chunk in encoder(fields, batches) if chunk)

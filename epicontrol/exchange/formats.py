"""Encoders that turn batches of rows into CSV, Parquet or Arrow IPC bytes, one batch at a time.

Each encoder yields the bytes of a batch as soon as it is written, so an export holds one batch
(and, for Parquet, one row group) in memory however long it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
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


def arrow_schema(fields: list[tuple[str, str]]) -> pa.Schema:
    """The Arrow schema of (name, kind) fields (kinds of datasets.KINDS)."""
    import pyarrow as pa

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
    import pyarrow as pa

    # The system allocator hands freed batches back to the OS; Arrow's default pool keeps them.
    pool = pa.system_memory_pool()
    arrays = [
        pa.array(col, type=f.type, memory_pool=pool) for col, f in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def encode_csv(fields: list[tuple[str, str]], batches: Iterable[Columns]) -> Iterator[bytes]:
    """RFC 4180 CSV in UTF-8 with a header line; empty for NULL, timestamps in ISO 8601.

    The csv module, not pyarrow: a CSV export then loads neither pyarrow nor pandas (which
    pyarrow imports on first use), some 90 MB of the server's memory.
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
    import pyarrow as pa

    schema = arrow_schema(fields)
    sink = _Drain()
    with pa.ipc.new_stream(sink, schema) as writer:
        for batch in _record_batches(schema, batches):
            writer.write_batch(batch)
            yield sink.take()
    yield sink.take()


def encode_parquet(fields: list[tuple[str, str]], batches: Iterable[Columns]) -> Iterator[bytes]:
    """Parquet with a row group per batch; the footer (row-group index) comes last."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(fields)
    sink = _Drain()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in _record_batches(schema, batches):
            writer.write_table(pa.Table.from_batches([batch]))
            yield sink.take()
    yield sink.take()


def encode(fmt: str, fields: list[tuple[str, str]], batches: Iterable[Columns]) -> Iterator[bytes]:
    """The encoder of `fmt` (a key of FORMATS) over `batches`; empty chunks are skipped."""
    encoder = {"csv": encode_csv, "parquet": encode_parquet, "arrow": encode_arrow}[fmt]
    return (chunk for chunk in encoder(fields, batches) if chunk)

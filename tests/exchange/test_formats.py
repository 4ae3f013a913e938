"""Encoders: Parquet row groups of whole batches, and neither binary format loads pandas."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, date, datetime

import pyarrow.parquet as pq

from epicontrol.exchange import formats

FIELDS = [("degree", "string"), ("at", "timestamp"), ("on", "date"), ("n", "int"), ("b", "bool")]


def _batches(count: int, rows: int) -> list[formats.Columns]:
    moment = datetime(2026, 12, 6, tzinfo=UTC)
    return [
        [["close"] * rows, [moment] * rows, [date(2026, 12, 6)] * rows, list(range(rows)),
         [True, None] * (rows // 2)]
        for _ in range(count)
    ]  # fmt: skip


def test_parquet_row_groups_hold_whole_batches_up_to_the_group_size() -> None:
    chunks = list(formats.encode_parquet(FIELDS, iter(_batches(5, 10)), row_group_rows=20))
    meta = pq.ParquetFile(io.BytesIO(b"".join(chunks))).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [20, 20, 10] and meta.num_rows == 50
    # Each group's bytes leave as soon as it is written, then the footer.
    assert len(chunks) == 4
    one = b"".join(formats.encode("parquet", FIELDS, iter(_batches(3, 10))))
    assert pq.ParquetFile(io.BytesIO(one)).metadata.num_row_groups == 1


def test_arrow_and_parquet_exports_do_not_import_pandas() -> None:
    # A fresh interpreter: this test process may have pandas loaded by other tests.
    script = (
        "import sys\n"
        "from tests.exchange.test_formats import FIELDS, _batches\n"
        "from epicontrol.exchange import formats\n"
        "for fmt in ('arrow', 'parquet'):\n"
        "    assert b''.join(formats.encode(fmt, FIELDS, iter(_batches(2, 10))))\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
        "import pyarrow as pa\n"
        "assert pa.table({'a': [1]}).to_pandas().shape == (1, 1)  # still there when asked\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

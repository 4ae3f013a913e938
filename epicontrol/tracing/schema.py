"""The tables the tracing engine reads and writes: one contract for every engine and caller.

Times are epoch seconds (UTC, BIGINT) inside the engine, so the one SQL definition needs no
date arithmetic that differs between DuckDB and Spark.
"""

from __future__ import annotations

import pyarrow as pa

# A stay of one resident at one place: built from in/out records (the store's export) or from
# intervals (the synthetic city). `end_s` is estimated (`is_dwell_estimated`) for a point scan
# or a check-in without a check-out, from rules.DWELL_ESTIMATE_BY_PLACE_KIND.
VISITS = pa.schema(
    [
        ("resident_id", pa.int64()),
        ("place_id", pa.int64()),
        ("place_kind", pa.string()),
        ("kind", pa.string()),  # scan | checkin | rail | vehicle | generic
        ("start_s", pa.int64()),
        ("end_s", pa.int64()),
        ("is_dwell_estimated", pa.bool_()),
        ("train_number", pa.string()),  # rail records only
        ("carriage", pa.string()),  # rail records only
    ]
)

# The cases to trace, each with its infectious window already worked out by
# rules.infectious_window (from 2 days before onset or sampling until isolation or now).
CASE_WINDOWS = pa.schema(
    [
        ("case_id", pa.int64()),
        ("resident_id", pa.int64()),
        ("window_start_s", pa.int64()),
        ("window_end_s", pa.int64()),
    ]
)

# Who lives with whom (households), for the household rule.
HOUSEHOLDS = pa.schema([("resident_id", pa.int64()), ("household_id", pa.int64())])

# One row per exposure episode. A close contact (degree 1) was exposed to the case itself; a
# secondary contact (degree 2) was exposed to `via_resident_id`, a close contact of the case,
# between that close contact's first exposure to the case and their isolation.
CONTACTS = pa.schema(
    [
        ("case_id", pa.int64()),
        ("case_resident_id", pa.int64()),
        ("contact_resident_id", pa.int64()),
        ("degree", pa.int8()),
        ("rule", pa.string()),  # co_location | household | same_carriage
        ("place_id", pa.int64()),  # null for the household rule
        ("via_resident_id", pa.int64()),  # null for degree 1
        ("overlap_start_s", pa.int64()),
        ("overlap_end_s", pa.int64()),
        ("minutes", pa.int64()),
    ]
)

# Sort order that makes two engines' outputs comparable row by row.
CONTACTS_ORDER = (
    "case_id",
    "degree",
    "contact_resident_id",
    "rule",
    "place_id",
    "via_resident_id",
    "overlap_start_s",
)

"""The tracing pipeline: inputs into an engine, the definitions run in order, CONTACTS out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from epicontrol.tracing import definitions, schema
from epicontrol.tracing.engines import engine_for
from epicontrol.tracing.engines.base import Engine
from epicontrol.tracing.rules import (
    DEFAULT_RULES,
    TracingRules,
    china_midnight,
    infectious_window,
    to_epoch_seconds,
)
from epicontrol.tracing.visits import VisitsSource, register_visits

CONTACT_ISOLATIONS = pa.schema([("resident_id", pa.int64()), ("isolated_at_s", pa.int64())])

# progress(what is being done now)
Progress = Callable[[str], None]


def _no_progress(_step: str) -> None:
    return None


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """The table's columns of `target`, in its order and types (extra columns dropped)."""
    return table.select(target.names).cast(target)


def trace(
    engine: Engine,
    *,
    visits_source: VisitsSource | pa.Table,
    case_windows: pa.Table,
    households: pa.Table | None,
    rules: TracingRules = DEFAULT_RULES,
    now_s: int,
    contact_isolations: pa.Table | None = None,
    progress: Progress | None = None,
) -> pa.Table:
    """Close and secondary contacts of the cases (schema.CONTACTS, in CONTACTS_ORDER).

    `now_s` stands in for the isolation of close contacts whose isolation time is not in
    `contact_isolations` (resident_id, isolated_at_s): until isolated, they still expose others.
    """
    report = progress or _no_progress
    report("Reading movements")
    register_visits(engine, visits_source, rules)
    engine.register("case_windows", _conform(case_windows, schema.CASE_WINDOWS))
    household_table = schema.HOUSEHOLDS.empty_table() if households is None else households
    engine.register("households", _conform(household_table, schema.HOUSEHOLDS))
    isolations = (
        CONTACT_ISOLATIONS.empty_table() if contact_isolations is None else contact_isolations
    )
    engine.register(definitions.CONTACT_ISOLATIONS, _conform(isolations, CONTACT_ISOLATIONS))
    for step in definitions.pipeline(rules, now_s=now_s):
        report(f"Defining {step.name}")
        engine.create_view(step.name, step.query, materialize=step.materialize)
    report("Finding contacts")
    return _conform(engine.query(definitions.contacts_query()), schema.CONTACTS)


def _column(table: pa.Table, *names: str) -> list[Any] | None:
    """The first of `names` that the table has, as Python values."""
    for name in names:
        if name in table.column_names:
            return table.column(name).to_pylist()
    return None


def case_windows_from_cases(
    cases: pa.Table, *, now: datetime, rules: TracingRules = DEFAULT_RULES
) -> pa.Table:
    """CASE_WINDOWS from a table of cases: `resident_id`, `onset_date` or `sampling_date`, and
    optionally `case_id` (or `id`; else the row number from 1), `isolated_at` (a timestamp) or
    `report_date` (isolated that day: reported cases went from the fever clinic to isolation).
    A table that already has the window columns is taken as it is."""
    if set(schema.CASE_WINDOWS.names) <= set(cases.column_names):
        return _conform(cases, schema.CASE_WINDOWS)
    residents = cases.column("resident_id").to_pylist()
    count = len(residents)
    case_ids = _column(cases, "case_id", "id") or list(range(1, count + 1))
    onsets = _column(cases, "onset_date") or [None] * count
    samplings = _column(cases, "sampling_date") or [None] * count
    isolations = _column(cases, "isolated_at", "report_date") or [None] * count
    starts, ends = [], []
    for resident, onset, sampling, isolated in zip(
        residents, onsets, samplings, isolations, strict=True
    ):
        if onset is None and sampling is None:
            raise ValueError(f"case of resident {resident} has neither onset nor sampling date")
        start_s, end_s = infectious_window(onset, sampling, isolated, now, rules=rules)
        starts.append(start_s)
        ends.append(end_s)
    return pa.table(
        {
            "case_id": case_ids,
            "resident_id": residents,
            "window_start_s": starts,
            "window_end_s": ends,
        },
        schema=schema.CASE_WINDOWS,
    )


def data_now(directory: Path) -> datetime:
    """The end of the data in `directory`: midnight (China) after the manifest's last day, or
    the current time for a folder without a manifest (a store export of closed days)."""
    manifest = directory / "manifest.json"
    if manifest.exists():
        last_day = date.fromisoformat(json.loads(manifest.read_text())["last_day"])
        return datetime.fromtimestamp(china_midnight(last_day + timedelta(days=1)), UTC)
    return datetime.now(UTC)


def read_households(directory: Path) -> pa.Table | None:
    """HOUSEHOLDS from the folder's residents.parquet (both layouts have one), if present."""
    path = directory / "residents.parquet"
    if not path.exists():
        return None
    residents = pq.read_table(path, columns=["id", "household_id"])
    residents = residents.filter(pc.is_valid(residents.column("household_id")))
    return pa.table(
        {"resident_id": residents.column("id"), "household_id": residents.column("household_id")}
    )


def trace_city_directory(
    directory: Path,
    *,
    engine_name: str = "duckdb",
    master: str | None = None,
    cases: pa.Table | None = None,
    rules: TracingRules = DEFAULT_RULES,
    now: datetime | None = None,
    contact_isolations: pa.Table | None = None,
    engine_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> pa.Table:
    """Trace the cases of a city folder (synthetic city) or store export: movements/ in either
    layout, places.parquet, residents.parquet; the cases default to its cases.parquet, and
    `now` to the end of its last day. `engine_options` go to the engine's adapter."""
    if cases is None:
        path = directory / "cases.parquet"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: give the cases to trace")
        cases = pq.read_table(path)
    moment = now or data_now(directory)
    places = directory / "places.parquet"
    source = VisitsSource(directory / "movements", places if places.exists() else None)
    options = dict(engine_options or {})
    if master is not None:
        options["master"] = master
    with engine_for(engine_name, **options) as engine:
        return trace(
            engine,
            visits_source=source,
            case_windows=case_windows_from_cases(cases, now=moment, rules=rules),
            households=read_households(directory),
            rules=rules,
            now_s=to_epoch_seconds(moment),
            contact_isolations=contact_isolations,
            progress=progress,
        )

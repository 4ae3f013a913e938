"""Scoring of incoming records against residents: Splink (Fellegi-Sunter) on in-process DuckDB.

Pure computation: people in, scored pairs out. Clear identity fields exist only in memory and
in the private in-memory DuckDB connection, which is closed when scoring ends.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from epicontrol.cases.linkage import rules

if TYPE_CHECKING:
    import duckdb

FIELDS = ("name", "id_number", "birth_date", "phone", "sex")
RECORDS, RESIDENTS = "records", "residents"


@dataclass(frozen=True, slots=True)
class Person:
    """The compared fields of a record or a resident, in clear (memory only); None if absent."""

    key: int
    name: str | None
    id_number: str | None
    birth_date: str | None  # YYYYMMDD, compared as text so that one slipped digit is 1 edit
    phone: str | None
    sex: str | None  # "M" or "F"


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one comparison added to a pair's match weight (a bar of the waterfall chart)."""

    comparison: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """A record and a candidate resident with Splink's match weight and probability."""

    record_key: int
    resident_key: int
    match_weight: float
    match_probability: float
    prior_weight: float
    contributions: tuple[Contribution, ...]


def prior_probability(candidates: int) -> float:
    """The chance that a record and one given candidate are the same person, before comparing."""
    return min(rules.SHARE_OF_RECORDS_IN_REGISTER / max(candidates, 1), 0.5)


def weight_of(probability: float) -> float:
    """log2 odds of a probability: the match-weight scale."""
    return math.log2(probability / (1 - probability))


def settings(prior: float, *, fix_u: bool = True) -> dict[str, Any]:
    """The Splink settings: link records to residents with the m/u priors of rules.py (u left
    free to be estimated when `fix_u` is False)."""
    from splink import block_on

    comparisons = []
    for comparison in rules.COMPARISONS:
        field, column = comparison.field, comparison.input_column
        levels: list[dict[str, Any]] = [
            {
                "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
                "label_for_charts": "missing",
                "is_null_level": True,
            }
        ]
        for level in comparison.levels:
            levels.append(
                {
                    "sql_condition": level.condition,
                    "label_for_charts": level.label,
                    "m_probability": level.m,
                    "u_probability": level.u,
                    "fix_m_probability": True,
                    "fix_u_probability": fix_u,
                }
            )
        comparisons.append({"output_column_name": field, "comparison_levels": levels})
    return {
        "link_type": "link_only",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            block_on(*fields) for fields in rules.BLOCKING_FIELDS
        ],
        "probability_two_random_records_match": prior,
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }


def _char_edits(left: str, right: str) -> int:
    """Optimal-string-alignment distance by characters (a swap of neighbours is one edit)."""
    if left == right:
        return 0
    previous2: list[int] = []
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, start=1):
        current = [i] + [0] * len(right)
        for j, b in enumerate(right, start=1):
            cost = 0 if a == b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == right[j - 2] and left[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _connection() -> duckdb.DuckDBPyConnection:
    import duckdb

    connection = duckdb.connect(":memory:")
    connection.create_function("name_edits", _char_edits, ["VARCHAR", "VARCHAR"], "INTEGER")
    return connection


def id_rest(id_number: str | None) -> str | None:
    """An ID number without its birth date: region code, sequence number and check digit.
    None unless it has 18 characters (a dropped or extra digit leaves the parts unknown)."""
    if id_number is None or len(id_number) != 18:
        return None
    return id_number[:6] + id_number[14:]


def _table(people: Sequence[Person]) -> Any:
    import pyarrow as pa

    columns: dict[str, Any] = {"unique_id": pa.array([p.key for p in people], pa.int64())}
    for field in FIELDS:
        columns[field] = pa.array([getattr(p, field) for p in people], pa.string())
    columns["id_rest"] = pa.array([id_rest(p.id_number) for p in people], pa.string())
    return pa.table(columns)


def score(
    records: Sequence[Person],
    residents: Sequence[Person],
    *,
    min_probability: float,
    estimate_u: bool = False,
) -> list[ScoredPair]:
    """Every blocked (record, resident) pair scoring at least `min_probability`.

    With `estimate_u`, Splink re-estimates the u probabilities from random record-resident
    pairs (almost all non-matches) instead of using the priors; a level seen too rarely in the
    sample keeps its prior."""
    if not records or not residents:
        return []
    from splink import DuckDBAPI, Linker

    connection = _connection()
    try:
        db_api = DuckDBAPI(connection=connection)
        inputs = [
            db_api.register(_table(records), dataset_display_name=RECORDS),
            db_api.register(_table(residents), dataset_display_name=RESIDENTS),
        ]
        prior = prior_probability(len(residents))
        linker = Linker(inputs, settings(prior, fix_u=not estimate_u), log_level=logging.WARNING)
        if estimate_u:
            linker.training.estimate_u_using_random_sampling(max_pairs=rules.U_SAMPLE_PAIRS, seed=1)
        predictions = linker.inference.predict(
            threshold_match_probability=min_probability, warning_mode="never"
        )
        rows = predictions.as_record_list()
    finally:
        connection.close()
    return [_pair(row, weight_of(prior)) for row in rows]


def _pair(row: dict[str, Any], prior_weight: float) -> ScoredPair:
    # Splink orders each pair by source dataset, but read both ways rather than rely on it.
    if row["source_dataset_l"] == RECORDS:
        record_key, resident_key = row["unique_id_l"], row["unique_id_r"]
    else:
        record_key, resident_key = row["unique_id_r"], row["unique_id_l"]
    contributions = []
    for comparison in rules.COMPARISONS:
        gamma = int(row[f"gamma_{comparison.field}"])
        # gamma -1 is the null level; otherwise 0 is the last level, counting upwards.
        level = "missing" if gamma < 0 else comparison.levels[len(comparison.levels) - 1 - gamma]
        label = level if isinstance(level, str) else level.label
        contributions.append(
            Contribution(comparison.field, label, round(float(row[f"mw_{comparison.field}"]), 3))
        )
    return ScoredPair(
        record_key=int(record_key),
        resident_key=int(resident_key),
        match_weight=float(row["match_weight"]),
        match_probability=float(row["match_probability"]),
        prior_weight=round(prior_weight, 3),
        contributions=tuple(contributions),
    )

"""The tracing SQL, written once in DuckDB's dialect and built as sqlglot expressions.

Every engine runs these same definitions: DuckDB as written, Spark after sqlglot transpiles them.
Times are integer epoch seconds throughout (schema.py), so no date function differs between
engines. Parameters enter as `:name` placeholders replaced by literals built by sqlglot, and the
degree-2 steps reuse the degree-1 definitions with their input relations renamed: no SQL is ever
made by joining strings.

Input relations: `visits` (schema.VISITS), `case_windows` (schema.CASE_WINDOWS), `households`
(schema.HOUSEHOLDS) and `contact_isolations` (resident_id, isolated_at_s).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import NamedTuple

import sqlglot
from sqlglot import exp

from epicontrol.tracing import schema
from epicontrol.tracing.rules import TracingRules

READ_DIALECT = "duckdb"
CONTACT_ISOLATIONS = "contact_isolations"


@dataclass(frozen=True, slots=True)
class Step:
    """One named view of the pipeline; `materialize` asks the engine to compute it once, for a
    small result read by several later steps."""

    name: str
    query: exp.Query
    materialize: bool = False


# The case's own periods and visits, clipped to its infectious window. A visit counts if it
# overlaps the window by any time at all; the contact rules then measure the clipped overlap.
CASE_PERIODS = """
SELECT c.case_id, c.resident_id AS case_resident_id, c.resident_id AS source_resident_id,
       CAST(NULL AS BIGINT) AS via_resident_id, c.window_start_s AS start_s, c.window_end_s AS end_s
FROM case_windows AS c
WHERE c.window_end_s > c.window_start_s
"""

SOURCE_VISITS = """
SELECT p.case_id, p.case_resident_id, p.source_resident_id, p.via_resident_id, v.place_id,
       v.train_number, v.carriage,
       GREATEST(v.start_s, p.start_s) AS start_s, LEAST(v.end_s, p.end_s) AS end_s
FROM source_periods AS p
JOIN visits AS v ON v.resident_id = p.source_resident_id
WHERE v.end_s > p.start_s AND v.start_s < p.end_s
"""

# Same place, overlap of at least :min_overlap_s. Visits are cut into :bucket_s time buckets
# and matched on (case, place, bucket), so a case's hour at a supermarket meets only that hour's
# shoppers rather than a fortnight's. Two visits overlap exactly when one starts while the other
# is on, so each pair is found once, by one of two joins, with no DISTINCT and no copy per
# shared bucket (an eight-hour school day spans nine buckets):
#   1. the other visit starts during the source visit: its first bucket meets every bucket of
#      the source visit;
#   2. the source visit starts during the other visit, begun earlier: the source's first bucket
#      meets every bucket of the other visit.
# Visits shorter than the threshold cannot make a contact and never enter the join (most point
# scans: gates, metro, pharmacies). The people a case's contacts may not include
# (`excluded_contacts`: the case itself and, for degree 2, its close contacts) are removed per
# case before pairing: at a school where two thousand close contacts meet the same four thousand
# pupils every day, pairing first would form millions of pairs only to drop nearly all.
CO_LOCATION = """
WITH sources AS (
    SELECT s.*, s.start_s // :bucket_s AS first_bucket
    FROM source_visits AS s
    WHERE s.end_s - s.start_s >= :min_overlap_s
), source_buckets AS (
    SELECT s.*, UNNEST(GENERATE_SERIES(s.start_s // :bucket_s, s.end_s // :bucket_s)) AS bucket
    FROM sources AS s
), wanted AS (
    SELECT DISTINCT b.case_id, b.place_id, b.bucket FROM source_buckets AS b
), place_buckets AS (
    SELECT v.resident_id, v.place_id, v.start_s, v.end_s, v.start_s // :bucket_s AS first_bucket,
           UNNEST(GENERATE_SERIES(v.start_s // :bucket_s, v.end_s // :bucket_s)) AS bucket
    FROM visits AS v
    WHERE v.end_s - v.start_s >= :min_overlap_s
      AND v.place_id IN (SELECT w.place_id FROM wanted AS w)
), others AS (
    SELECT w.case_id, p.resident_id, p.place_id, p.start_s, p.end_s, p.first_bucket, p.bucket
    FROM place_buckets AS p
    JOIN wanted AS w ON w.place_id = p.place_id AND w.bucket = p.bucket
    WHERE NOT EXISTS (
        SELECT 1 FROM excluded_contacts AS x
        WHERE x.case_id = w.case_id AND x.resident_id = p.resident_id
    )
), pairs AS (
    SELECT s.case_id, s.case_resident_id, s.source_resident_id, s.via_resident_id, s.place_id,
           s.start_s, s.end_s, o.resident_id, o.start_s AS other_start_s, o.end_s AS other_end_s
    FROM source_buckets AS s
    JOIN others AS o
      ON o.case_id = s.case_id AND o.place_id = s.place_id AND o.bucket = s.bucket
     AND o.first_bucket = o.bucket
    WHERE o.start_s >= s.start_s
    UNION ALL
    SELECT s.case_id, s.case_resident_id, s.source_resident_id, s.via_resident_id, s.place_id,
           s.start_s, s.end_s, o.resident_id, o.start_s AS other_start_s, o.end_s AS other_end_s
    FROM sources AS s
    JOIN others AS o
      ON o.case_id = s.case_id AND o.place_id = s.place_id AND o.bucket = s.first_bucket
    WHERE o.start_s < s.start_s
)
SELECT p.case_id, p.case_resident_id, p.resident_id AS contact_resident_id,
       'co_location' AS rule, p.place_id, p.via_resident_id,
       GREATEST(p.start_s, p.other_start_s) AS overlap_start_s,
       LEAST(p.end_s, p.other_end_s) AS overlap_end_s
FROM pairs AS p
WHERE p.resident_id <> p.source_resident_id
  AND LEAST(p.end_s, p.other_end_s) - GREATEST(p.start_s, p.other_start_s) >= :min_overlap_s
"""

# Same train number and carriage, in it together for at least :carriage_min_overlap_s (China
# NHC: every passenger of the case's carriage). Rail records are few, so a plain join suffices.
SAME_CARRIAGE = """
SELECT s.case_id, s.case_resident_id, v.resident_id AS contact_resident_id,
       'same_carriage' AS rule, s.place_id, s.via_resident_id,
       GREATEST(s.start_s, v.start_s) AS overlap_start_s, LEAST(s.end_s, v.end_s) AS overlap_end_s
FROM source_visits AS s
JOIN visits AS v ON v.train_number = s.train_number AND v.carriage = s.carriage
WHERE v.resident_id <> s.source_resident_id
  AND LEAST(s.end_s, v.end_s) - GREATEST(s.start_s, v.start_s) >= :carriage_min_overlap_s
  AND NOT EXISTS (
      SELECT 1 FROM excluded_contacts AS x
      WHERE x.case_id = s.case_id AND x.resident_id = v.resident_id
  )
"""

# Everyone sharing the household, for the whole period, whatever the movements say.
HOUSEHOLD = """
SELECT p.case_id, p.case_resident_id, m.resident_id AS contact_resident_id,
       'household' AS rule, CAST(NULL AS BIGINT) AS place_id, p.via_resident_id,
       p.start_s AS overlap_start_s, p.end_s AS overlap_end_s
FROM source_periods AS p
JOIN households AS h ON h.resident_id = p.source_resident_id
JOIN households AS m ON m.household_id = h.household_id
WHERE m.resident_id <> p.source_resident_id
  AND NOT EXISTS (
      SELECT 1 FROM excluded_contacts AS x
      WHERE x.case_id = p.case_id AND x.resident_id = m.resident_id
  )
"""

UNION_OF_RULES = """
SELECT * FROM rule_co_location
UNION ALL SELECT * FROM rule_same_carriage
UNION ALL SELECT * FROM rule_household
"""

# Each close contact, from their first exposure to the case until isolated: the period in which
# their own contacts become secondary contacts (China NHC). Isolation comes from
# `contact_isolations` where known, else the run's :now_s (still free, so still exposing).
CLOSE_CONTACT_PERIODS = """
WITH firsts AS (
    SELECT e.case_id, e.case_resident_id, e.contact_resident_id,
           MIN(e.overlap_start_s) AS first_exposure_s
    FROM close_contacts AS e
    GROUP BY e.case_id, e.case_resident_id, e.contact_resident_id
), isolations AS (
    SELECT i.resident_id, MIN(i.isolated_at_s) AS isolated_at_s
    FROM contact_isolations AS i
    GROUP BY i.resident_id
), periods AS (
    SELECT f.case_id, f.case_resident_id, f.contact_resident_id AS source_resident_id,
           f.contact_resident_id AS via_resident_id, f.first_exposure_s AS start_s,
           COALESCE(i.isolated_at_s, :now_s) AS end_s
    FROM firsts AS f
    LEFT JOIN isolations AS i ON i.resident_id = f.contact_resident_id
)
SELECT * FROM periods WHERE end_s > start_s
"""

# Nobody is a contact of their own case.
CASE_SELF = """
SELECT c.case_id, c.resident_id FROM case_windows AS c
"""

# Nor is a close contact of a case also its secondary contact (China NHC: the close contact's
# contacts are those not already in the first ring).
SECONDARY_EXCLUDED = """
SELECT c.case_id, c.resident_id FROM case_windows AS c
UNION
SELECT e.case_id, e.contact_resident_id AS resident_id FROM close_contacts AS e
"""

# Rows are unique by construction (one per pair of visits, or per period), so no DISTINCT: on a
# city's secondary contacts it would hash tens of millions of rows for nothing.
CONTACTS = """
WITH episodes AS (
    SELECT e.*, 1 AS degree FROM close_contacts AS e
    UNION ALL
    SELECT e.*, 2 AS degree FROM secondary_contacts AS e
)
SELECT CAST(case_id AS BIGINT) AS case_id,
       CAST(case_resident_id AS BIGINT) AS case_resident_id,
       CAST(contact_resident_id AS BIGINT) AS contact_resident_id,
       CAST(degree AS TINYINT) AS degree,
       CAST(rule AS TEXT) AS rule,
       CAST(place_id AS BIGINT) AS place_id,
       CAST(via_resident_id AS BIGINT) AS via_resident_id,
       CAST(overlap_start_s AS BIGINT) AS overlap_start_s,
       CAST(overlap_end_s AS BIGINT) AS overlap_end_s,
       CAST((overlap_end_s - overlap_start_s) // 60 AS BIGINT) AS minutes
FROM episodes
"""


@cache
def _parsed(sql: str) -> exp.Query:
    """Parse a definition once; callers get copies to fill in."""
    parsed = sqlglot.parse_one(sql, read=READ_DIALECT)
    assert isinstance(parsed, exp.Query)
    return parsed


def _number(value: int) -> exp.Expr:
    return exp.Literal.number(int(value))


def build(
    sql: str,
    *,
    tables: Mapping[str, str] | None = None,
    values: Mapping[str, int] | None = None,
    later: frozenset[str] = frozenset(),
) -> exp.Query:
    """A definition with its relations renamed (`tables`) and placeholders filled (`values`);
    the placeholders named in `later` may stay, to be filled by the caller."""
    query: exp.Expr = _parsed(sql).copy()
    if tables:

        def rename(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Table) and node.name in tables:
                # Keep the alias: the definition refers to columns through it.
                alias = node.alias or node.name
                return exp.to_table(tables[node.name]).as_(alias)
            return node

        query = query.transform(rename, copy=False)
    if values:
        literals = {name: _number(value) for name, value in values.items()}
        query = exp.replace_placeholders(query, **literals)
    remaining = [p.name for p in query.find_all(exp.Placeholder) if p.name not in later]
    if remaining:
        raise ValueError(f"unfilled placeholder(s): {', '.join(remaining)}")
    assert isinstance(query, exp.Query)
    return query


class _Parameters(NamedTuple):
    """The rules' values the definitions read (TracingRules itself is not hashable)."""

    bucket_s: int
    min_overlap_s: int
    carriage_min_overlap_s: int
    trace_secondary: bool


def _rule_steps(
    prefix: str, periods: str, visits: str, excluded: str, rules: _Parameters
) -> list[Step]:
    """The three contact rules applied to one set of sources, and their union."""
    sources = {"source_periods": periods, "source_visits": visits, "excluded_contacts": excluded}
    values = {
        "bucket_s": rules.bucket_s,
        "min_overlap_s": rules.min_overlap_s,
        "carriage_min_overlap_s": rules.carriage_min_overlap_s,
    }
    by_rule = {
        f"{prefix}_co_location": CO_LOCATION,
        f"{prefix}_same_carriage": SAME_CARRIAGE,
        f"{prefix}_household": HOUSEHOLD,
    }
    steps = [Step(name, build(sql, tables=sources, values=values)) for name, sql in by_rule.items()]
    union = build(
        UNION_OF_RULES, tables={f"rule_{name[len(prefix) + 1 :]}": name for name in by_rule}
    )
    return [*steps, Step(f"{prefix}_exposures", union)]


def pipeline(rules: TracingRules, *, now_s: int) -> list[Step]:
    """Every step from the inputs to `contacts`, in the order they must be created."""
    # Building the steps costs about 0.1 s (copies, renames, literals); a copy of cached ones
    # a third of that. Only the isolation stand-in `now_s` changes from one trace to the next.
    template = _pipeline(
        rules.bucket_s,
        rules.min_overlap_s,
        rules.carriage_min_overlap_s,
        rules.trace_secondary_contacts,
    )
    return [replace(step, query=_filled(step.query, now_s=now_s)) for step in template]


def _filled(query: exp.Query, **values: int) -> exp.Query:
    """A copy of the query with the placeholders filled."""
    literals = {name: _number(value) for name, value in values.items()}
    filled = exp.replace_placeholders(query.copy(), **literals)
    assert isinstance(filled, exp.Query)
    return filled


@cache
def _pipeline(
    bucket_s: int, min_overlap_s: int, carriage_min_overlap_s: int, trace_secondary: bool
) -> tuple[Step, ...]:
    """The steps for these parameters, `:now_s` left to fill (kept for the process's life:
    a deployment has one set of rules, a test run a handful)."""
    rules = _Parameters(bucket_s, min_overlap_s, carriage_min_overlap_s, trace_secondary)
    steps = [
        Step("case_periods", build(CASE_PERIODS), materialize=True),
        Step(
            "case_visits",
            build(SOURCE_VISITS, tables={"source_periods": "case_periods"}),
            materialize=True,
        ),
        Step("case_self", build(CASE_SELF), materialize=True),
        *_rule_steps("case", "case_periods", "case_visits", "case_self", rules),
    ]
    steps.append(Step("close_contacts", build("SELECT * FROM case_exposures"), materialize=True))
    if rules.trace_secondary:
        steps += [
            Step(
                "close_contact_periods",
                build(CLOSE_CONTACT_PERIODS, later=frozenset({"now_s"})),
                materialize=True,
            ),
            Step(
                "close_contact_visits",
                build(SOURCE_VISITS, tables={"source_periods": "close_contact_periods"}),
                materialize=True,
            ),
            Step("secondary_excluded", build(SECONDARY_EXCLUDED), materialize=True),
            *_rule_steps(
                "secondary",
                "close_contact_periods",
                "close_contact_visits",
                "secondary_excluded",
                rules,
            ),
            # Materialized before the final sort: a city's tens of millions of secondary
            # contacts then sort alone, rather than beside the joins that found them (which
            # ran DuckDB out of its memory limit on the 1M-resident city).
            Step(
                "secondary_contacts",
                build("SELECT * FROM secondary_exposures"),
                materialize=True,
            ),
        ]
    else:
        # No degree 2: an empty relation of the same columns keeps CONTACTS one definition.
        steps.append(Step("secondary_contacts", build("SELECT * FROM close_contacts WHERE 1 = 0")))
    return tuple(steps)


def contacts_query() -> exp.Query:
    """CONTACTS (schema.CONTACTS) from the pipeline's views, in schema.CONTACTS_ORDER."""
    query = build(CONTACTS)
    assert isinstance(query, exp.Select)
    # The whole row breaks ties, so that two engines' outputs compare row by row.
    order = [*schema.CONTACTS_ORDER, "overlap_end_s", "minutes"]
    return query.order_by(
        *(exp.Ordered(this=exp.column(name), nulls_first=False) for name in order)
    )

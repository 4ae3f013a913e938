"""The command dashboard's figures for a division and day, aggregated in DuckDB.

The store gives narrow Arrow tables (dashboard_store); an in-process DuckDB connection counts
them with SQL; Rt, growth and the forecast come from the report-date curve (dashboard_trends).
The definitions of every figure are in analytics/schemas.py.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from epicontrol.analytics import dashboard_store as store
from epicontrol.analytics import rules
from epicontrol.analytics.schemas import (
    AgeBand,
    Crumb,
    CurveDay,
    DashboardData,
    EstatePoint,
    Headline,
    Headlines,
    SubdivisionFigures,
)
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput
from epicontrol.core.settings import Settings
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division

if TYPE_CHECKING:
    import duckdb

# The curve reaches back to the first case, but never less than four weeks (a flat line is
# information too) nor more than a year (older cases no longer move Rt or the forecast).
MIN_CURVE_DAYS = 28
MAX_CURVE_DAYS = 366
AGE_BAND_YEARS = 10
OLDEST_BAND = 8  # 80+

# Status classes (schemas.py explains why a recovered case is classed by its onset date).
CLASSED_CASES = """
CREATE VIEW classed AS
SELECT c.*, d.child_id,
  CASE
    WHEN status IN ('confirmed', 'deceased') THEN 'confirmed'
    WHEN status = 'recovered' AND onset_date IS NOT NULL THEN 'confirmed'
    WHEN status IN ('asymptomatic', 'recovered') THEN 'asymptomatic'
    ELSE status
  END AS class
FROM cases c JOIN divisions d ON d.id = c.division_id
"""

HEADLINES = """
SELECT
  count(*) FILTER (WHERE class = 'confirmed'),
  count(*) FILTER (WHERE class = 'confirmed' AND report_date = $day),
  count(*) FILTER (WHERE class = 'suspected'),
  count(*) FILTER (WHERE class = 'suspected' AND report_date = $day),
  count(*) FILTER (WHERE class = 'asymptomatic'),
  count(*) FILTER (WHERE class = 'asymptomatic' AND report_date = $day),
  count(*) FILTER (WHERE status = 'recovered'),
  count(*) FILTER (WHERE status = 'deceased')
FROM classed
"""

OBSERVED = """
SELECT
  count(DISTINCT resident_id),
  count(DISTINCT resident_id) FILTER (WHERE starts_on = $day),
  count(DISTINCT resident_id) FILTER (WHERE reason = 'close_contact'),
  count(DISTINCT resident_id) FILTER (WHERE reason = 'secondary_contact')
FROM observations
"""

FEVER = """
SELECT count(*) FILTER (WHERE kind = 'self_check'), count(*) FILTER (WHERE kind = 'clinic')
FROM fever
"""

# One row per day from $start to $day; `dated` gives each infection the day it is counted on.
CURVE = """
WITH days AS (
  SELECT CAST(range AS DATE) AS day FROM range(CAST($start AS DATE),
    CAST($day AS DATE) + INTERVAL 1 DAY, INTERVAL 1 DAY)
), dated AS ({dated})
SELECT days.day,
  count(dated.class) FILTER (WHERE dated.class = 'confirmed') AS confirmed,
  count(dated.class) FILTER (WHERE dated.class = 'asymptomatic') AS asymptomatic
FROM days LEFT JOIN dated ON dated.day = days.day
GROUP BY days.day ORDER BY days.day
"""
BY_REPORT = "SELECT report_date AS day, class FROM classed WHERE class <> 'suspected'"
BY_ONSET = """
SELECT coalesce(onset_date, sampling_date) AS day, class FROM classed
WHERE class <> 'suspected' AND coalesce(onset_date, sampling_date) IS NOT NULL
"""

UNDATED = """
SELECT count(*) FROM classed
WHERE class <> 'suspected' AND coalesce(onset_date, sampling_date) IS NULL
"""

PYRAMID = """
SELECT greatest(least((year(CAST($day AS DATE)) - birth_year) // $band, $oldest), 0) AS band,
  count(*) FILTER (WHERE sex = 'M') AS male, count(*) FILTER (WHERE sex = 'F') AS female
FROM classed WHERE class <> 'suspected' AND birth_year IS NOT NULL
GROUP BY band ORDER BY band
"""

SEXES = """
SELECT coalesce(sex, 'unknown'), count(*) FROM classed WHERE class <> 'suspected'
GROUP BY 1 ORDER BY 1
"""

# Every figure per child of the division; `divisions` lists each subtree division's child.
BY_CHILD = """
WITH children AS (SELECT DISTINCT child_id FROM divisions WHERE child_id IS NOT NULL),
people AS (
  SELECT d.child_id, sum(p.residents) AS n FROM population p
  JOIN divisions d ON d.id = p.division_id GROUP BY 1
), infections AS (
  SELECT child_id, count(*) FILTER (WHERE class <> 'suspected') AS cases,
    count(*) FILTER (WHERE class <> 'suspected' AND report_date = $day) AS new_cases,
    count(*) FILTER (WHERE class = 'suspected') AS suspected
  FROM classed GROUP BY 1
), observed AS (
  SELECT d.child_id, count(DISTINCT o.resident_id) AS n FROM observations o
  JOIN divisions d ON d.id = o.division_id GROUP BY 1
), arrived AS (
  SELECT d.child_id, count(*) AS n FROM arrivals a JOIN divisions d ON d.id = a.division_id
  GROUP BY 1
)
SELECT children.child_id, coalesce(people.n, 0), coalesce(infections.cases, 0),
  coalesce(infections.new_cases, 0), coalesce(infections.suspected, 0),
  coalesce(observed.n, 0), coalesce(arrived.n, 0)
FROM children
LEFT JOIN people USING (child_id) LEFT JOIN infections USING (child_id)
LEFT JOIN observed USING (child_id) LEFT JOIN arrived USING (child_id)
"""

ESTATES = """
SELECT estate_id, count(*) FROM classed
WHERE class <> 'suspected' AND estate_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1
"""


def compute(
    db: Session,
    *,
    division: Division,
    day: date,
    serial_interval_mean_days: float = rules.SERIAL_INTERVAL_MEAN_DAYS,
    serial_interval_sd_days: float = rules.SERIAL_INTERVAL_SD_DAYS,
) -> DashboardData:
    """The dashboard of `division`'s subtree for local `day` (aggregates only)."""
    import duckdb

    from epicontrol.analytics import dashboard_trends as trends

    started = time.perf_counter()
    with duckdb.connect() as con:
        _load(con, db, division, day)
        counted = _aggregates(con, db, division, day)
    rt, growth, forecast = trends.analyse(
        counted["curve_by_report"],
        mean_days=serial_interval_mean_days,
        sd_days=serial_interval_sd_days,
    )
    return DashboardData(
        division_id=division.id,
        division_name=division.name,
        division_level=division.level,
        day=day,
        rt=rt,
        growth=growth,
        forecast=forecast,
        serial_interval_mean_days=serial_interval_mean_days,
        serial_interval_sd_days=serial_interval_sd_days,
        compute_seconds=round(time.perf_counter() - started, 4),
        **counted,
    )


def _aggregates(
    con: duckdb.DuckDBPyConnection, db: Session, division: Division, day: date
) -> dict[str, Any]:
    """Every figure DuckDB counts, by DashboardData field."""
    start = _curve_start(con, day)
    return {
        "headlines": _headlines(con, day),
        "curve_by_report": _curve(con, BY_REPORT, start, day),
        "curve_by_onset": _curve(con, BY_ONSET, start, day),
        "undated_onsets": _scalar(con, UNDATED),
        "age_pyramid": _pyramid(con, day),
        "sex_split": {str(sex): int(n) for sex, n in con.execute(SEXES).fetchall()},
        "subdivisions": _subdivisions(con, db, division, day),
        "estates": _estates(db, con.execute(ESTATES).fetchall()),
    }


def _load(con: duckdb.DuckDBPyConnection, db: Session, division: Division, day: date) -> None:
    """Read the store's narrow tables into the DuckDB connection."""
    tables = {
        "divisions": store.divisions(db, division),
        "cases": store.cases(db, division, day),
        "population": store.population(db, division),
        "observations": store.observations(db, division, day),
        "arrivals": store.risk_area_arrivals(db, division, day),
        "fever": store.fever_reports(db, division, day),
    }
    for name, table in tables.items():
        con.register(name, table)
    con.execute(CLASSED_CASES)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, **params: Any) -> int:
    row = con.execute(sql, params or None).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _headlines(con: duckdb.DuckDBPyConnection, day: date) -> Headlines:
    row = con.execute(HEADLINES, {"day": day}).fetchone()
    confirmed, confirmed_new, suspected, suspected_new, asym, asym_new, recovered, died = (
        int(v) for v in row or (0,) * 8
    )
    observed = con.execute(OBSERVED, {"day": day}).fetchone() or (0, 0, 0, 0)
    arrivals = _scalar(con, "SELECT count(*) FROM arrivals")
    checks, clinics = (int(v) for v in con.execute(FEVER).fetchone() or (0, 0))
    return Headlines(
        confirmed=Headline(total=confirmed, new=confirmed_new),
        suspected=Headline(total=suspected, new=suspected_new),
        asymptomatic=Headline(total=asym, new=asym_new),
        under_observation=Headline(total=int(observed[0]), new=int(observed[1])),
        close_contacts_observed=int(observed[2]),
        secondary_contacts_observed=int(observed[3]),
        risk_area_arrivals=Headline(total=arrivals, new=arrivals),
        fever_reports=Headline(total=checks + clinics, new=checks + clinics),
        fever_self_checks=checks,
        fever_clinic_registrations=clinics,
        recovered=recovered,
        deceased=died,
    )


def _curve_start(con: duckdb.DuckDBPyConnection, day: date) -> date:
    """The first day of both curves: the first case's date, within the bounds above."""
    row = con.execute(
        "SELECT least(min(report_date), min(coalesce(onset_date, sampling_date)))"
        " FROM classed WHERE class <> 'suspected'"
    ).fetchone()
    first = row[0] if row and row[0] is not None else day
    latest_start = day - timedelta(days=MIN_CURVE_DAYS - 1)
    earliest_start = day - timedelta(days=MAX_CURVE_DAYS - 1)
    return max(min(first, latest_start), earliest_start)


def _curve(con: duckdb.DuckDBPyConnection, dated: str, start: date, day: date) -> list[CurveDay]:
    """Daily counts by class from `start` to `day`, with the trailing 7-day mean."""
    from epicontrol.analytics.growth import seven_day_average

    rows = con.execute(CURVE.format(dated=dated), {"start": start, "day": day}).fetchall()
    totals = [int(c) + int(a) for _, c, a in rows]
    averages = seven_day_average(totals)
    return [
        CurveDay(
            day=row[0],
            confirmed=int(row[1]),
            asymptomatic=int(row[2]),
            total=total,
            seven_day_average=None if average is None else round(average, 4),
        )
        for row, total, average in zip(rows, totals, averages, strict=True)
    ]


def _pyramid(con: duckdb.DuckDBPyConnection, day: date) -> list[AgeBand]:
    params = {"day": day, "band": AGE_BAND_YEARS, "oldest": OLDEST_BAND}
    counts = {int(b): (int(m), int(f)) for b, m, f in con.execute(PYRAMID, params).fetchall()}
    bands = []
    for band in range(OLDEST_BAND + 1):
        low = band * AGE_BAND_YEARS
        label = f"{low}+" if band == OLDEST_BAND else f"{low}-{low + AGE_BAND_YEARS - 1}"
        male, female = counts.get(band, (0, 0))
        bands.append(AgeBand(band=label, male=male, female=female))
    return bands


def _subdivisions(
    con: duckdb.DuckDBPyConnection, db: Session, division: Division, day: date
) -> list[SubdivisionFigures]:
    figures = {int(row[0]): row[1:] for row in con.execute(BY_CHILD, {"day": day}).fetchall()}
    found = []
    for child in store.children(db, division):
        population, cases, new, suspected, observed, arrivals = figures.get(child.id, (0,) * 6)
        found.append(
            SubdivisionFigures(
                division_id=child.id,
                code=child.code,
                name=child.name,
                level=child.level,
                latitude=child.latitude,
                longitude=child.longitude,
                population=int(population),
                cases=int(cases),
                new_cases=int(new),
                suspected=int(suspected),
                under_observation=int(observed),
                risk_area_arrivals=int(arrivals),
                cases_per_100k=round(cases * 100_000 / population, 2) if population else None,
            )
        )
    return found


def _estates(db: Session, counts: list[tuple[Any, ...]]) -> list[EstatePoint]:
    by_id = {int(estate_id): int(n) for estate_id, n in counts}
    known = {row[0]: row for row in store.estates(db, list(by_id))}
    return [
        EstatePoint(
            estate_id=estate_id,
            name=known[estate_id][1],
            latitude=known[estate_id][2],
            longitude=known[estate_id][3],
            cases=n,
        )
        for estate_id, n in by_id.items()
        if estate_id in known
    ]


def for_principal(
    db: Session,
    *,
    principal: Principal,
    division_id: int | None,
    day: date,
    today: date,
    settings: Settings,
    purpose: str = "",
) -> DashboardData:
    """The dashboard of a division in the caller's subtree (their own division if none is
    named), with the breadcrumb from their scope down; the read is audited (aggregates only)."""
    if day > today:
        raise InvalidInput(f"day {day} is in the future (today is {today})")
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    data = compute(
        db,
        division=division,
        day=day,
        serial_interval_mean_days=settings.rt_serial_interval_mean_days,
        serial_interval_sd_days=settings.rt_serial_interval_sd_days,
    )
    from epicontrol.analytics.economy import add_economy

    add_economy(db, data, division)  # read live: decisions show at once, not at the next cache
    data.breadcrumb = [
        Crumb(division_id=d.id, name=d.name)
        for d in [*divisions.ancestors(db, division=division), division]
        if principal.covers(d.path)
    ]
    audit.record(
        db,
        actor=principal,
        action="dashboard:read",
        entity="division",
        entity_id=division.id,
        purpose=purpose,
        detail={"day": day.isoformat(), "aggregates_only": True},
    )
    return data

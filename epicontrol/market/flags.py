"""Flagged sellers, computed by DuckDB over the reports (market/rules.py states the rules).

The store's rows are read once into Arrow tables and DuckDB does the medians, ceilings and
counts; every flag carries the ids of the reports that caused it, as risk statuses carry
their evidence. Medians are computed over all sellers (a district's median needs the whole
district), then the flags are cut to the inspector's subtree. The board reads them through
market/flag_cache.py, which reuses the city's flags while their inputs are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from epicontrol.divisions.models import Division
from epicontrol.market.models import (
    CaseStatus,
    MarketCase,
    MarketCaseReport,
    MarketReport,
    MarketSeller,
    ReferencePrice,
    ReportKind,
)
from epicontrol.market.rules import MEDIAN_LEVELS, QUALITY_COMPLAINTS, FlagRules

if TYPE_CHECKING:
    import pyarrow as pa

PRICE_FLAGS = """
WITH placed AS (
    SELECT p.*, d.id AS district_id, c.id AS city_id
    FROM prices p
    LEFT JOIN groups d ON d.level = 'district' AND starts_with(p.path, d.path)
    LEFT JOIN groups c ON c.level = 'city' AND starts_with(p.path, c.path)
),
sellers AS (  -- each seller's own median: a seller counts once, however many reports
    SELECT seller_id, product, district_id, city_id, median(unit) AS unit, count(*) AS n
    FROM placed GROUP BY seller_id, product, district_id, city_id
),
district AS (  -- the median of the other sellers of the product in the district
    SELECT o.seller_id, o.product, median(b.unit) AS median, sum(b.n) AS n
    FROM sellers o LEFT JOIN sellers b
      ON b.district_id = o.district_id AND b.product = o.product AND b.seller_id <> o.seller_id
    GROUP BY o.seller_id, o.product
),
city AS (
    SELECT o.seller_id, o.product, median(b.unit) AS median, sum(b.n) AS n
    FROM sellers o LEFT JOIN sellers b
      ON b.city_id = o.city_id AND b.product = o.product AND b.seller_id <> o.seller_id
    GROUP BY o.seller_id, o.product
),
ceiling AS (  -- the deepest division's ceiling valid on the day seen
    SELECT p.report_id, arg_max(r.max_unit_fen, length(r.path)) AS ceiling
    FROM prices p JOIN refs r
      ON r.product = p.product AND starts_with(p.path, r.path)
     AND p.observed_on >= r.valid_from AND (r.valid_to IS NULL OR p.observed_on <= r.valid_to)
    GROUP BY p.report_id
),
judged AS (
    SELECT p.report_id, p.seller_id, p.product, p.unit, x.ceiling,
        CASE WHEN d.n >= $min_reports THEN d.median
             WHEN c.n >= $min_reports THEN c.median END AS median,
        CASE WHEN d.n >= $min_reports THEN 'district'
             WHEN c.n >= $min_reports THEN 'city' END AS basis
    FROM placed p
    JOIN district d USING (seller_id, product) JOIN city c USING (seller_id, product)
    LEFT JOIN ceiling x USING (report_id)
)
SELECT seller_id, product, list(report_id ORDER BY report_id) AS report_ids, max(unit),
       any_value(median), any_value(basis), min(ceiling)
FROM judged
WHERE (median IS NOT NULL AND unit > $factor * median) OR (ceiling IS NOT NULL AND unit > ceiling)
GROUP BY seller_id, product
ORDER BY seller_id, product
"""

COMPLAINT_FLAGS = """
SELECT seller_id, list(report_id ORDER BY report_id), count(DISTINCT reporter)
FROM complaints
GROUP BY seller_id
HAVING count(DISTINCT reporter) >= $threshold
ORDER BY seller_id
"""


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag: a seller, the rule, the product (price rule) and the evidence."""

    seller_id: int
    rule: str  # "price" or "complaints"
    product: str | None
    report_ids: tuple[int, ...]
    highest_unit_fen: float | None = None
    median_unit_fen: float | None = None
    median_basis: str | None = None  # "district" or "city"
    ceiling_unit_fen: int | None = None
    reporters: int | None = None


# How many times the city's flags were computed in this process: the cache's tests and the
# benchmark read it to see whether a view computed or reused them.
computations = 0


def compute(db: Session, *, rules: FlagRules, today: date, scope_path: str = "/") -> list[Flag]:
    """The flags of sellers in the subtree `scope_path` on `today`, complaints first."""
    return in_scope(db, compute_city(db, rules=rules, today=today), scope_path)


def compute_city(db: Session, *, rules: FlagRules, today: date) -> list[Flag]:
    """The flags of every seller on `today`, complaints first (no cache)."""
    import duckdb

    global computations
    computations += 1

    with duckdb.connect() as con:
        con.register("prices", _prices(db, rules.price_window_start(today), today))
        con.register("groups", _groups(db))
        con.register("refs", _references(db))
        con.register("complaints", _complaints(db, rules.complaint_window_start(today), today))
        price_rows = con.execute(
            PRICE_FLAGS,
            {"min_reports": rules.min_reports_for_median, "factor": rules.price_factor},
        ).fetchall()
        complaint_rows = con.execute(
            COMPLAINT_FLAGS, {"threshold": rules.complaint_threshold}
        ).fetchall()
    return [
        Flag(seller, "complaints", None, tuple(ids), reporters=int(n))
        for seller, ids, n in complaint_rows
    ] + [
        Flag(seller, "price", product, tuple(ids), highest, median, basis, ceiling)
        for seller, product, ids, highest, median, basis, ceiling in price_rows
    ]


def in_scope(db: Session, flags: list[Flag], scope_path: str) -> list[Flag]:
    """The flags of sellers in the subtree `scope_path` (read now: sellers never move)."""
    if scope_path == "/" or not flags:
        return flags
    inside = set(
        db.scalars(
            select(MarketSeller.id)
            .join(Division, Division.id == MarketSeller.division_id)
            .where(
                MarketSeller.id.in_({f.seller_id for f in flags}),
                Division.path.startswith(scope_path),
            )
        )
    )
    return [flag for flag in flags if flag.seller_id in inside]


def _not_dealt_with() -> Any:
    """Reports no closed case has covered (rules.py: cleared reports do not flag again)."""
    return ~exists().where(
        and_(
            MarketCaseReport.report_id == MarketReport.id,
            MarketCase.id == MarketCaseReport.case_id,
            MarketCase.status == CaseStatus.CLOSED.value,
        )
    )


def _prices(db: Session, start: date, end: date) -> pa.Table:
    import pyarrow as pa

    rows = db.execute(
        select(
            MarketReport.id,
            MarketReport.seller_id,
            Division.path,
            MarketReport.product,
            MarketReport.price_fen,
            MarketReport.pack_size,
            MarketReport.observed_on,
        )
        .join(MarketSeller, MarketSeller.id == MarketReport.seller_id)
        .join(Division, Division.id == MarketSeller.division_id)
        .where(
            MarketReport.kind == ReportKind.PRICE.value,
            MarketReport.observed_on.between(start, end),
            _not_dealt_with(),
        )
    ).all()
    return pa.table(
        {
            "report_id": pa.array([r[0] for r in rows], pa.int64()),
            "seller_id": pa.array([r[1] for r in rows], pa.int64()),
            "path": pa.array([r[2] for r in rows], pa.string()),
            "product": pa.array([r[3] for r in rows], pa.string()),
            "unit": pa.array([(r[4] or 0) / (r[5] or 1) for r in rows], pa.float64()),
            "observed_on": pa.array([r[6] for r in rows], pa.date32()),
        }
    )


def _groups(db: Session) -> pa.Table:
    import pyarrow as pa

    rows = db.execute(
        select(Division.id, Division.level, Division.path).where(Division.level.in_(MEDIAN_LEVELS))
    ).all()
    return pa.table(
        {
            "id": pa.array([r[0] for r in rows], pa.int64()),
            "level": pa.array([r[1] for r in rows], pa.string()),
            "path": pa.array([r[2] for r in rows], pa.string()),
        }
    )


def _references(db: Session) -> pa.Table:
    import pyarrow as pa

    rows = db.execute(
        select(
            ReferencePrice.product,
            Division.path,
            ReferencePrice.max_unit_fen,
            ReferencePrice.valid_from,
            ReferencePrice.valid_to,
        ).join(Division, Division.id == ReferencePrice.division_id)
    ).all()
    return pa.table(
        {
            "product": pa.array([r[0] for r in rows], pa.string()),
            "path": pa.array([r[1] for r in rows], pa.string()),
            "max_unit_fen": pa.array([r[2] for r in rows], pa.int64()),
            "valid_from": pa.array([r[3] for r in rows], pa.date32()),
            "valid_to": pa.array([r[4] for r in rows], pa.date32()),
        }
    )


def _complaints(db: Session, start: date, end: date) -> pa.Table:
    import pyarrow as pa

    rows = db.execute(
        select(MarketReport.id, MarketReport.seller_id, MarketReport.reporter_user_id).where(
            MarketReport.kind == ReportKind.COMPLAINT.value,
            MarketReport.complaint_kind.in_([k.value for k in QUALITY_COMPLAINTS]),
            MarketReport.observed_on.between(start, end),
            _not_dealt_with(),
        )
    ).all()
    return pa.table(
        {
            "report_id": pa.array([r[0] for r in rows], pa.int64()),
            "seller_id": pa.array([r[1] for r in rows], pa.int64()),
            # An anonymised report (no reporter any more) counts as a reporter of its own.
            "reporter": pa.array([r[2] if r[2] is not None else -r[0] for r in rows], pa.int64()),
        }
    )

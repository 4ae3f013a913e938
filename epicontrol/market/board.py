"""What the inspectors' pages show: the board (flags first, the price chart) and a seller."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.divisions.models import Division
from epicontrol.market import cases, flag_cache, flags, labels, sellers
from epicontrol.market.models import (
    MarketCase,
    MarketReport,
    MarketSeller,
    Product,
    ReferencePrice,
)
from epicontrol.market.rules import FlagRules
from epicontrol.market.schemas import FlagOut

CHART_DAYS = 60


def yuan(fen: float | int | None) -> str:
    """An amount in fen as ¥ with two decimals."""
    return "–" if fen is None else f"¥{Decimal(str(fen)) / 100:.2f}"


def flag_detail(flag: flags.Flag) -> str:
    """Why a seller is flagged, in a line."""
    if flag.rule == "complaints":
        return f"{flag.reporters} 人投诉质量 quality complaints from {flag.reporters} reporters"
    parts = [f"单价最高 highest unit price {yuan(flag.highest_unit_fen)}"]
    if flag.median_unit_fen is not None and flag.highest_unit_fen is not None:
        ratio = flag.highest_unit_fen / flag.median_unit_fen
        parts.append(f"{ratio:.1f}× {flag.median_basis} median {yuan(flag.median_unit_fen)}")
    if flag.ceiling_unit_fen is not None:
        parts.append(f"限价 ceiling {yuan(flag.ceiling_unit_fen)}")
    return "; ".join(parts)


def flags_out(db: Session, *, principal: Principal, rules: FlagRules, today: date) -> list[FlagOut]:
    """The caller's subtree's flags with seller names and open cases."""
    found = flag_cache.flags_for(db, rules=rules, today=today, scope_path=principal.division_path)
    if not found:
        return []
    ids = {f.seller_id for f in found}
    names = {
        seller_id: (name, division)
        for seller_id, name, division in db.execute(
            select(MarketSeller.id, MarketSeller.name, Division.name)
            .join(Division, Division.id == MarketSeller.division_id)
            .where(MarketSeller.id.in_(ids))
        )
    }
    open_cases = dict(
        db.execute(
            select(MarketCase.open_seller_id, MarketCase.id).where(
                MarketCase.open_seller_id.in_(ids)
            )
        ).all()
    )
    return [
        FlagOut(
            seller_id=f.seller_id,
            seller_name=names[f.seller_id][0],
            division_name=names[f.seller_id][1],
            rule=f.rule,
            product=Product(f.product) if f.product else None,
            detail=flag_detail(f),
            report_ids=list(f.report_ids),
            open_case_id=open_cases.get(f.seller_id),
        )
        for f in found
    ]


@dataclass
class Board:
    """The inspectors' board."""

    flags: list[FlagOut]
    sellers: list[Any]  # (id, name, kind, division name, reports, open case id)
    chart: dict[str, Any]
    references: list[Any]
    open_cases: list[Any] = field(default_factory=list)


def board(db: Session, *, principal: Principal, rules: FlagRules, today: date) -> Board:
    """Flags first, then every seller of the subtree, the price chart and the ceilings."""
    in_scope = Division.path.startswith(principal.division_path)
    seller_rows = db.execute(
        select(
            MarketSeller.id,
            MarketSeller.name,
            MarketSeller.kind,
            Division.name,
            func.count(MarketReport.id),
            MarketCase.id,
        )
        .join(Division, Division.id == MarketSeller.division_id)
        .outerjoin(MarketReport, MarketReport.seller_id == MarketSeller.id)
        .outerjoin(MarketCase, MarketCase.open_seller_id == MarketSeller.id)
        .where(in_scope, MarketSeller.merged_into_id.is_(None))
        .group_by(
            MarketSeller.id, MarketSeller.name, MarketSeller.kind, Division.name, MarketCase.id
        )
        .order_by(func.count(MarketReport.id).desc(), MarketSeller.name)
        .limit(300)
    ).all()
    references = db.execute(
        select(ReferencePrice, Division.name)
        .join(Division, Division.id == ReferencePrice.division_id)
        .order_by(ReferencePrice.product, ReferencePrice.valid_from.desc())
        .limit(100)
    ).all()
    open_cases = db.execute(
        select(MarketCase, MarketSeller.name)
        .join(MarketSeller, MarketSeller.id == MarketCase.seller_id)
        .join(Division, Division.id == MarketCase.division_id)
        .where(in_scope, MarketCase.open_seller_id.is_not(None))
        .order_by(MarketCase.id.desc())
        .limit(200)
    ).all()
    return Board(
        flags=flags_out(db, principal=principal, rules=rules, today=today),
        sellers=list(seller_rows),
        chart=price_chart(db, scope_path=principal.division_path, today=today),
        references=list(references),
        open_cases=list(open_cases),
    )


def median_prices(db: Session, *, scope_path: str, start: date, end: date) -> list[Any]:
    """(day, product, median unit price in yuan, reports) of a subtree, by DuckDB."""
    import duckdb
    import pyarrow as pa

    rows = db.execute(
        select(
            MarketReport.observed_on,
            MarketReport.product,
            MarketReport.price_fen,
            MarketReport.pack_size,
        )
        .join(MarketSeller, MarketSeller.id == MarketReport.seller_id)
        .join(Division, Division.id == MarketSeller.division_id)
        .where(
            MarketReport.kind == "price",
            MarketReport.observed_on.between(start, end),
            Division.path.startswith(scope_path),
        )
    ).all()
    table = pa.table(
        {
            "day": pa.array([r[0] for r in rows], pa.date32()),
            "product": pa.array([r[1] for r in rows], pa.string()),
            "unit": pa.array([(r[2] or 0) / (r[3] or 1) / 100 for r in rows], pa.float64()),
        }
    )
    with duckdb.connect() as con:
        con.register("prices", table)
        return con.execute(
            "SELECT day, product, round(median(unit), 2), count(*) FROM prices "
            "GROUP BY day, product ORDER BY product, day"
        ).fetchall()


def price_chart(db: Session, *, scope_path: str, today: date) -> dict[str, Any]:
    """A Plotly figure (plain JSON, drawn by static/pages.js): median unit price per
    product and day over the last CHART_DAYS days."""
    series: dict[str, tuple[list[str], list[float]]] = defaultdict(lambda: ([], []))
    start = today - timedelta(days=CHART_DAYS - 1)
    for day, product, median, _n in median_prices(
        db, scope_path=scope_path, start=start, end=today
    ):
        xs, ys = series[product]
        xs.append(day.isoformat())
        ys.append(float(median))
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": labels.label("product", product),
            "x": xs,
            "y": ys,
        }
        for product, (xs, ys) in sorted(series.items())
    ]
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
            "height": 320,
            "xaxis": {"type": "date", "tickformat": "%m-%d", "dtick": 86_400_000 * 7},
            "yaxis": {"title": {"text": "单价中位数 median ¥ per piece"}, "rangemode": "tozero"},
            "legend": {"orientation": "h"},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


@dataclass
class SellerPage:
    """A seller with its reports (never who made them), cases, flags and likely duplicates."""

    seller: MarketSeller
    division_name: str
    reports: list[MarketReport]
    cases: list[MarketCase]
    flags: list[FlagOut]
    duplicates: list[MarketSeller]


def seller_page(
    db: Session, *, principal: Principal, seller_id: int, rules: FlagRules, today: date
) -> SellerPage:
    """One seller of the caller's subtree; the read is audited (reports are personal data)."""
    seller = sellers.get_in_scope(db, principal=principal, seller_id=seller_id)
    reports = list(
        db.scalars(
            select(MarketReport)
            .where(MarketReport.seller_id == seller.id)
            .order_by(MarketReport.observed_on.desc(), MarketReport.id.desc())
            .limit(500)
        )
    )
    neighbours = db.scalars(
        select(MarketSeller).where(
            MarketSeller.division_id == seller.division_id,
            MarketSeller.id != seller.id,
            MarketSeller.merged_into_id.is_(None),
        )
    )
    wanted = sellers.normalised(seller.name)
    from rapidfuzz import fuzz

    duplicates = [s for s in neighbours if fuzz.ratio(wanted, sellers.normalised(s.name)) >= 60]
    audit.record(
        db,
        actor=principal,
        action="market:read_seller",
        entity="market_seller",
        entity_id=seller.id,
    )
    return SellerPage(
        seller=seller,
        division_name=db.scalar(select(Division.name).where(Division.id == seller.division_id))
        or "",
        reports=reports,
        cases=cases.cases_of_seller(db, seller_id=seller.id),
        flags=[
            f
            for f in flags_out(db, principal=principal, rules=rules, today=today)
            if f.seller_id == seller.id
        ],
        duplicates=duplicates,
    )


def set_reference(db: Session, *, principal: Principal, data: Any) -> ReferencePrice:
    """Store a price ceiling for a division of the caller's subtree (audited)."""
    from epicontrol.core.errors import InvalidInput
    from epicontrol.divisions import service as divisions

    divisions.get_in_scope(db, principal=principal, division_id=data.division_id)
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise InvalidInput("the ceiling must end after it starts")
    row = ReferencePrice(
        product=data.product.value,
        division_id=data.division_id,
        max_unit_fen=int(data.max_unit_yuan * 100),
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        source=data.source.strip(),
        set_by=principal.user_id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="market:set_reference_price",
        entity="market_reference_price",
        entity_id=row.id,
        detail={"product": row.product, "max_unit_fen": row.max_unit_fen},
    )
    return row


def division_path(db: Session, division_id: int) -> str:
    """A division's materialised path."""
    return db.scalar(select(Division.path).where(Division.id == division_id)) or ""


def reports_by_id(db: Session, report_ids: list[int]) -> list[MarketReport]:
    """Reports by id, in that order (a case's evidence)."""
    found = {
        r.id: r for r in db.scalars(select(MarketReport).where(MarketReport.id.in_(report_ids)))
    }
    return [found[i] for i in report_ids if i in found]

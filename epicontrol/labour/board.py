"""The officers' matching board: needs of the area, fill rates per need and per subdivision, and
the chart (a Plotly figure as JSON, drawn by /static/pages.js with the offline plotly.js)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.labour import service
from epicontrol.labour.figures import labour_figures


def divisions_for(db: Session, *, principal: Principal) -> list[Division]:
    """Divisions of the caller's area a place of work may be put in (down to communities)."""
    query = (
        select(Division)
        .where(
            Division.path.startswith(principal.division_path, autoescape=True),
            Division.level != DivisionLevel.GRID.value,
        )
        .order_by(Division.path)
        .limit(500)
    )
    return list(db.scalars(query))


def division_rates(db: Session, *, principal: Principal) -> list[dict[str, Any]]:
    """The figures of each direct subdivision of the caller's division that has positions."""
    children = db.scalars(
        select(Division).where(Division.parent_id == principal.division_id).order_by(Division.code)
    ).all()
    rows = []
    for child in children:
        figures = labour_figures(db, child)
        if figures["positions"]:
            rows.append({"division": child.name, **figures})
    return rows


def fill_figure(needs: list[Any], rates: list[dict[str, Any]]) -> str:
    """The board's chart: fill rate (%) per need and per subdivision, as Plotly JSON."""
    data = [
        {
            "type": "bar",
            "name": "needs 岗位",
            "x": [f"#{n.id} {n.title}" for n in needs],
            "y": [round(100 * n.fill_rate, 1) for n in needs],
        },
        {
            "type": "bar",
            "name": "areas 辖区",
            "x": [row["division"] for row in rates],
            "y": [round(100 * float(row["fill_rate"]), 1) for row in rates],
        },
    ]
    layout = {
        "title": {"text": "Fill rate 招工完成率 (%)"},
        "yaxis": {"range": [0, 100], "title": {"text": "%"}},
        "margin": {"t": 40, "r": 10, "b": 80, "l": 40},
        "height": 320,
    }
    # "</" never appears in the JSON, so it cannot close the <script type="application/json">.
    figure = {"data": data, "layout": layout, "config": {"displaylogo": False, "responsive": True}}
    return json.dumps(figure, ensure_ascii=False).replace("</", "<\\/")


def _plotly_src() -> str | None:
    from epicontrol.web.plotly_static import plotly_js_url

    try:
        return plotly_js_url()
    except ImportError:  # plotly not installed: the page shows the tables only
        return None


def board_context(db: Session, *, principal: Principal) -> dict[str, Any]:
    """What the board shows: the area's figures, its needs, rates per subdivision, the chart."""
    division = db.get(Division, principal.division_id)
    assert division is not None  # a login's division exists (foreign key)
    needs = service.describe(db, service.needs_in_scope(db, principal=principal))
    rates = division_rates(db, principal=principal)
    plotly_src = _plotly_src()
    return {
        "division": division,
        "figures": labour_figures(db, division),
        "needs": needs,
        "rates": rates,
        "figure": fill_figure(needs, rates) if needs and plotly_src else None,
        "plotly_src": plotly_src,
    }

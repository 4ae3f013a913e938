"""The officers' matching board: needs of the area, fill rates per need and per subdivision, and
the chart (a Plotly figure as JSON, drawn by /static/pages.js with the offline plotly.js)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.health_code import service as health_code
from epicontrol.labour import service
from epicontrol.labour.figures import labour_figures
from epicontrol.labour.models import SEAT_HOLDING, ApplicationStatus, LabourApplication


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


def hire_flags(db: Session, need_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per need: how many hires were released, and how many hold a seat while not green now.
    Counts only, no names: the board shows what the employer must act on, not who (the
    employer's page names them, masked, and audits each flag). Two queries and one colour read."""
    flags = {need_id: {"released": 0, "not_green": 0} for need_id in need_ids}
    if not need_ids:
        return flags
    released = db.execute(
        select(LabourApplication.need_id, func.count())
        .where(
            LabourApplication.need_id.in_(need_ids),
            LabourApplication.status == ApplicationStatus.RELEASED.value,
        )
        .group_by(LabourApplication.need_id)
    )
    for need_id, count in released:
        flags[need_id]["released"] = count
    holders = db.execute(
        select(LabourApplication.need_id, LabourApplication.resident_id).where(
            LabourApplication.need_id.in_(need_ids), LabourApplication.status.in_(SEAT_HOLDING)
        )
    ).all()
    colours = health_code.colours(db, [resident_id for _need, resident_id in holders])
    for need_id, resident_id in holders:
        if colours[resident_id] != service.GREEN:
            flags[need_id]["not_green"] += 1
    return flags


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
    """What the board shows: the area's figures, its needs (with their released and not-green
    hires counted), rates per subdivision, the chart."""
    division = db.get(Division, principal.division_id)
    assert division is not None  # a login's division exists (foreign key)
    needs = service.describe(db, service.needs_in_scope(db, principal=principal))
    rates = division_rates(db, principal=principal)
    plotly_src = _plotly_src()
    return {
        "division": division,
        "figures": labour_figures(db, division),
        "needs": needs,
        "flags": hire_flags(db, [need.id for need in needs]),
        "rates": rates,
        "figure": fill_figure(needs, rates) if needs and plotly_src else None,
        "plotly_src": plotly_src,
    }

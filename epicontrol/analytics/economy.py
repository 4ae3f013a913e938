"""The dashboard's economy panel: resumption of work (enterprises/figures.py) and labour
matching (labour/figures.py), with a bar chart of companies approved by phase."""

from __future__ import annotations

import plotly.graph_objects as go
from sqlalchemy.orm import Session

from epicontrol.analytics.schemas import DashboardData
from epicontrol.divisions.models import Division
from epicontrol.enterprises.figures import resumption_figures
from epicontrol.labour.figures import labour_figures

LABELS = {
    "approved": "获准复工企业 companies approved",
    "workforce": "返岗人数 workforce back",
    "phase": "批次 phase",
}


def add_economy(db: Session, data: DashboardData, division: Division) -> None:
    """Fill the dashboard's resumption and labour figures (aggregates only)."""
    data.resumption = resumption_figures(db, division)
    data.labour = dict(labour_figures(db, division))


def resumption_figure(data: DashboardData) -> go.Figure | None:
    """Companies approved and workforce back by phase; None before any approval."""
    phases = (data.resumption or {}).get("approved_by_phase") or []
    if not phases:
        return None
    names = [f"第{p['phase']}批 {p['phase']}" for p in phases]
    figure = go.Figure()
    figure.add_bar(
        x=names,
        y=[p["approved"] for p in phases],
        name=LABELS["approved"],
        marker_color="#0b6e4f",
        offsetgroup=0,
    )
    figure.add_bar(
        x=names,
        y=[p["workforce"] for p in phases],
        name=LABELS["workforce"],
        marker_color="#5c6bc0",
        yaxis="y2",
        offsetgroup=1,
    )
    figure.update_layout(
        height=300,
        margin={"l": 48, "r": 48, "t": 36, "b": 40},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        plot_bgcolor="#fff",
        paper_bgcolor="#fff",
        barmode="group",
        xaxis={"title": LABELS["phase"]},
        yaxis={"title": LABELS["approved"], "rangemode": "tozero"},
        yaxis2={"title": LABELS["workforce"], "overlaying": "y", "side": "right"},
    )
    return figure

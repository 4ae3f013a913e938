"""The command dashboard (指挥看板): its data as JSON and its page.

- GET /api/dashboard?division_id=&day=   DashboardData of a division in the caller's subtree
                                         (their own if absent) for a local day (today if absent)
- GET /dashboard?division_id=&day=       the page: tiles, charts, map, subdivisions to drill into

Both need `dashboard:read`; a division outside the caller's subtree is refused (403), an unknown
one is 404. Aggregates only, no personal data; each read is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from epicontrol.analytics import dashboard
from epicontrol.analytics.schemas import DashboardData
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, SettingsDep, require
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.web.templating import render

router = APIRouter()
Commander = Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))]
DivisionId = Annotated[int | None, Query(description="a division of your scope; yours if absent")]
Day = Annotated[date | None, Query(description="local (China) day; today if absent")]


@router.get("/api/dashboard", tags=["dashboard"])
def get_dashboard(
    db: DbSession,
    principal: Commander,
    settings: SettingsDep,
    purpose: Purpose,
    division_id: DivisionId = None,
    day: Day = None,
) -> DashboardData:
    """The dashboard's figures for a division and day (aggregates only)."""
    today = local_date(utcnow())
    return dashboard.for_principal(
        db,
        principal=principal,
        division_id=division_id,
        day=day or today,
        today=today,
        settings=settings,
        purpose=purpose,
    )


@router.get("/dashboard", include_in_schema=False)
def dashboard_page(
    request: Request,
    db: DbSession,
    principal: Commander,
    settings: SettingsDep,
    division_id: DivisionId = None,
    day: Day = None,
) -> Response:
    """The command dashboard page of a division and day."""
    today = local_date(utcnow())
    data = dashboard.for_principal(
        db,
        principal=principal,
        division_id=division_id,
        day=day or today,
        today=today,
        settings=settings,
        purpose="dashboard page",
    )
    context = {"data": data, "today": today, **_figures(db, data)}
    return render(request, "dashboard.html", context)


def _figures(db: Session, data: DashboardData) -> dict[str, Any]:
    """The page's charts as <div>s and the URL of plotly.js (served from the package)."""
    from epicontrol.analytics import figures
    from epicontrol.analytics.economy import resumption_figure
    from epicontrol.web.figures import figure_html
    from epicontrol.web.plotly_static import plotly_js_url

    division = divisions.get(db, division_id=data.division_id)
    charts = {
        "curve_report": figures.curve_figure(data),
        "curve_onset": figures.curve_figure(data, by_onset=True),
        "rt": figures.rt_figure(data),
        "pyramid": figures.pyramid_figure(data),
        "sex": figures.sex_figure(data),
        "map": figures.map_figure(data, _features(db, division)),
    }
    resumption = resumption_figure(data)  # none before the first approval
    if resumption is not None:
        charts["resumption"] = resumption
    return {
        "charts": {
            name: figure_html(figure, div_id=f"chart-{name.replace('_', '-')}")
            for name, figure in charts.items()
        },
        "plotly_src": plotly_js_url(),
    }


def _features(db: Session, division: Division) -> dict[str, Any] | None:
    """The subdivisions' shapes (stored or approximated), None where none can be drawn."""
    from epicontrol.divisions.boundaries import children_feature_collection

    collection = children_feature_collection(db, division)
    return collection if collection.get("features") else None

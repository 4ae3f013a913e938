"""The public home and real-time situation pages, their JSON, and the feed import API (helper A).

Public: no login, aggregates only. The pages are cached for anonymous visitors by
portal/cache.py, so a rush is answered from memory.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.portal import situation as service
from epicontrol.portal import situation_charts as charts
from epicontrol.portal.feed_routes import router as feed_router
from epicontrol.portal.home import FUNCTIONS
from epicontrol.portal.situation_schemas import Situation
from epicontrol.web.plotly_static import plotly_js_url
from epicontrol.web.templating import render

router = APIRouter()
router.include_router(feed_router)


def china_time(moment: datetime) -> str:
    """A moment as the visitor's clock in China shows it (pages say "China time")."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def _situation(db: DbSession) -> Situation:
    now = utcnow()
    return service.situation(db, day=local_date(now), now=now)


@router.get("/api/public/situation", tags=["portal"])
def situation_json(db: DbSession) -> Situation:
    """Local, provincial and national figures with their trends (aggregates only)."""
    return _situation(db)


@router.get("/public", response_class=HTMLResponse, include_in_schema=False)
def home_page(request: Request, db: DbSession) -> HTMLResponse:
    """The portal's home: today's headline figures and a link to every function."""
    now = utcnow()
    local = service.local_situation(db, day=local_date(now), now=now)
    return render(
        request,
        "portal_home.html",
        {"local": local, "functions": FUNCTIONS, "china_time": china_time},
    )


@router.get("/public/situation", response_class=HTMLResponse, include_in_schema=False)
def situation_page(request: Request, db: DbSession) -> HTMLResponse:
    """Local figures from the platform, provincial and national ones from the feed, trends."""
    data = _situation(db)
    figures = {"local": charts.as_script_json(charts.local_trend(data.local.trend))}
    for name, region in (("province", data.province), ("nation", data.nation)):
        if region is not None and region.trend:
            trend = charts.region_trend(region.trend, region.region_name)
            figures[name] = charts.as_script_json(trend)
    context = {
        "data": data,
        "figures": figures,
        "plotly_src": plotly_js_url(),
        "china_time": china_time,
    }
    return render(request, "portal_situation.html", context)

"""API and page for a division's entries and exits, arrivals and the risk-area list.

Endpoints (all need a login; reads need `movement:read`, changes to risk areas
`risk_area:manage`; lists of people are audited):

- GET  /api/divisions/{division_id}/presence            the four figures (counts only)
- GET  /api/divisions/{division_id}/presence/inside     who is inside now (offset, limit)
- GET  /api/divisions/{division_id}/arrivals           arrivals of a local day (day, offset,
                                                        limit, from_risk_areas_only)
- GET  /api/divisions/{division_id}/movements/daily    entries and exits per day (days=14)
- GET  /api/movements/risk-areas                        risk areas (active_on)
- POST /api/movements/risk-areas                        declare a risk area
- POST /api/movements/risk-areas/{risk_area_id}/end     end a risk area (ends_on, default today)
- GET  /divisions/{division_id}/presence                the officers' page
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, require
from epicontrol.core.policy import Permission
from epicontrol.divisions import service as divisions
from epicontrol.movements import presence, risk_areas
from epicontrol.movements.presence import ArrivalsOut, DayCount, InsideOut, PresenceSummary
from epicontrol.movements.risk_areas import RiskAreaEnd, RiskAreaIn, RiskAreaOut
from epicontrol.web.templating import render

router = APIRouter(tags=["presence"])
Reader = Annotated[Principal, Depends(require(Permission.MOVEMENT_READ))]
RiskManager = Annotated[Principal, Depends(require(Permission.RISK_AREA_MANAGE))]
Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=presence.MAX_PAGE)]


@router.get("/api/divisions/{division_id}/presence")
def get_summary(division_id: int, db: DbSession, principal: Reader) -> PresenceSummary:
    """Inside now, arrivals today, arrivals from risk areas, entries and exits today."""
    return presence.summary(db, principal=principal, division_id=division_id, now=utcnow())


@router.get("/api/divisions/{division_id}/presence/inside")
def list_inside(
    division_id: int,
    db: DbSession,
    principal: Reader,
    purpose: Purpose,
    offset: Offset = 0,
    limit: Limit = 100,
) -> InsideOut:
    """Who is inside the division now (masked names), newest first; audited."""
    return presence.inside_now(
        db,
        principal=principal,
        division_id=division_id,
        purpose=purpose,
        now=utcnow(),
        offset=offset,
        limit=limit,
    )


@router.get("/api/divisions/{division_id}/arrivals")
def list_arrivals(
    division_id: int,
    db: DbSession,
    principal: Reader,
    purpose: Purpose,
    day: Annotated[date | None, Query(description="local day; today if absent")] = None,
    offset: Offset = 0,
    limit: Limit = 100,
    from_risk_areas_only: bool = False,
) -> ArrivalsOut:
    """Arrivals of one local day (masked names), risk-area arrivals first; audited."""
    return presence.arrivals(
        db,
        principal=principal,
        division_id=division_id,
        purpose=purpose,
        now=utcnow(),
        day=day,
        offset=offset,
        limit=limit,
        from_risk_areas_only=from_risk_areas_only,
    )


@router.get("/api/divisions/{division_id}/movements/daily")
def list_daily_counts(
    division_id: int,
    db: DbSession,
    principal: Reader,
    days: Annotated[int, Query(ge=1, le=presence.MAX_DAYS)] = 14,
) -> list[DayCount]:
    """Entries and exits per local day for the last `days` days, oldest first."""
    return presence.daily_counts(
        db, principal=principal, division_id=division_id, now=utcnow(), days=days
    )


@router.get("/api/movements/risk-areas")
def list_risk_areas(
    db: DbSession,
    principal: Reader,
    active_on: Annotated[date | None, Query(description="only areas at risk that day")] = None,
) -> list[RiskAreaOut]:
    """The risk areas, newest first."""
    return [RiskAreaOut.model_validate(a) for a in risk_areas.list_areas(db, active_on=active_on)]


@router.post("/api/movements/risk-areas", status_code=201)
def declare_risk_area(data: RiskAreaIn, db: DbSession, principal: RiskManager) -> RiskAreaOut:
    """Declare a risk area (commanders); audited."""
    today = presence.local_date(utcnow())
    area = risk_areas.create(db, principal=principal, data=data, today=today)
    return RiskAreaOut.model_validate(area)


@router.post("/api/movements/risk-areas/{risk_area_id}/end")
def end_risk_area(
    risk_area_id: int,
    db: DbSession,
    principal: RiskManager,
    data: Annotated[RiskAreaEnd | None, Body()] = None,
) -> RiskAreaOut:
    """Set the last day an area is at risk (today if no body); audited."""
    area = risk_areas.end(
        db,
        principal=principal,
        risk_area_id=risk_area_id,
        ends_on=data.ends_on if data else None,
        today=presence.local_date(utcnow()),
    )
    return RiskAreaOut.model_validate(area)


@router.get("/divisions/{division_id}/presence", include_in_schema=False)
def presence_page(
    request: Request,
    division_id: int,
    db: DbSession,
    principal: Reader,
    offset: Offset = 0,
) -> Response:
    """The officers' page: figures, entries and exits by day, today's arrivals, subdivisions."""
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    shown = presence.overview(
        db,
        principal=principal,
        division_id=division_id,
        purpose="presence page",
        now=utcnow(),
        offset=offset,
    )
    trail = [d for d in divisions.ancestors(db, division=division) if principal.covers(d.path)]
    context = {
        "division": division,
        "trail": trail,
        "figures": shown.figures,
        "by_day": list(reversed(shown.by_day)),
        "arrivals": shown.arrivals,
        "page_size": presence.PAGE_ARRIVALS,
        "subdivisions": divisions.children(db, division_id=division.id),
        "time_zone": presence.LOCAL_TIME,
    }
    return render(request, "presence.html", context)

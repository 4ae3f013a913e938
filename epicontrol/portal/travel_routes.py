"""A resident's own travel record: the page /public/me/travel and GET /api/me/travel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission
from epicontrol.portal import itineraries_labels as labels
from epicontrol.portal import travel
from epicontrol.portal.travel import TravelPage
from epicontrol.web.templating import render

router = APIRouter()
# A resident's own data (REPORT_SUBMIT is held by residents only, as on /self-check).
Resident = Annotated[Principal, Depends(require(Permission.REPORT_SUBMIT))]
Offset = Annotated[int, Query(ge=0)]
NO_STORE = {"Cache-Control": "no-store"}  # where someone was stays off shared caches


@router.get("/api/me/travel", tags=["portal"])
def my_travel(
    db: DbSession,
    principal: Resident,
    response: Response,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=travel.MAX_PAGE)] = travel.PAGE,
    resident_id: Annotated[
        int | None, Query(description="refused unless it is the caller's own")
    ] = None,
) -> TravelPage:
    """The caller's own records of the last 14 days, newest first."""
    travel.own_resident_id(principal, resident_id)
    response.headers.update(NO_STORE)
    return travel.own_record(db, principal=principal, now=utcnow(), offset=offset, limit=limit)


@router.get("/public/me/travel", include_in_schema=False)
def my_travel_page(
    request: Request,
    db: DbSession,
    principal: Resident,
    offset: Offset = 0,
    resident_id: int | None = None,
) -> Response:
    """The caller's own travel record, a page of 20 at a time."""
    travel.own_resident_id(principal, resident_id)
    page = travel.own_record(db, principal=principal, now=utcnow(), offset=offset)
    context: dict[str, Any] = {
        "page": page,
        "time_zone": LOCAL_TIME,
        "place_kinds": labels.PLACE_KINDS,
        "record_kinds": labels.RECORD_KINDS,
        "directions": labels.DIRECTIONS,
    }
    response = render(request, "portal_travel.html", context)
    response.headers.update(NO_STORE)
    return response

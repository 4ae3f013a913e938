"""Published case itineraries (public page and API); the staff workflow and the resident's own
pages are routers of their own, included here."""

from __future__ import annotations

from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from epicontrol.core.deps import DbSession
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.portal import itineraries_labels as labels
from epicontrol.portal import itineraries_read
from epicontrol.portal.crossed_paths_routes import router as crossed_paths_router
from epicontrol.portal.itineraries_schemas import PublicItineraryPage
from epicontrol.portal.itineraries_staff_routes import router as staff_router
from epicontrol.portal.travel_routes import router as resident_router
from epicontrol.web.templating import render

router = APIRouter()
router.include_router(staff_router)
router.include_router(resident_router)
router.include_router(crossed_paths_router)

# Published itineraries change a few times a day: a short shared cache takes the rush; the
# page differs by language, chosen by query, cookie or browser.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=30", "Vary": "Accept-Language, Cookie"}
PlaceQuery = Annotated[str, Query(max_length=80, description="part of a place name or address")]
Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=itineraries_read.MAX_PAGE)]


@router.get("/api/public/itineraries", tags=["portal"])
def public_itineraries(
    db: DbSession,
    response: Response,
    place: PlaceQuery = "",
    offset: Offset = 0,
    limit: Limit = itineraries_read.PAGE,
) -> PublicItineraryPage:
    """Published itineraries, newest first; `place` keeps those naming a place."""
    response.headers.update(PUBLIC_CACHE)
    return itineraries_read.public_page(db, place=place, offset=offset, limit=limit)


@router.get("/public/itineraries", include_in_schema=False)
def public_itineraries_page(
    request: Request, db: DbSession, place: PlaceQuery = "", offset: Offset = 0
) -> Response:
    """The public list, grouped by day of publication (China dates)."""
    page = itineraries_read.public_page(db, place=place, offset=offset)
    days = [
        (day, list(items))
        for day, items in groupby(page.items, key=lambda i: local_date(i.published_at))
    ]
    context: dict[str, Any] = {
        "page": page,
        "days": days,
        "place": place,
        "page_size": itineraries_read.PAGE,
        "time_zone": LOCAL_TIME,
        "place_kinds": labels.PLACE_KINDS,
        "sexes": labels.SEXES,
    }
    response = render(request, "portal_itineraries.html", context)
    response.headers.update(PUBLIC_CACHE)
    return response

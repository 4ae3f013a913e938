"""Public fever-clinic map and list, affected estates, self-check and consultations (helper B).

This router holds the clinic pages and APIs and includes the other topics' routers, so that
web/app.py registers one router for all of them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.i18n import gettext as _
from epicontrol.core.policy import Permission
from epicontrol.portal import clinics
from epicontrol.portal.clinics_map import map_html
from epicontrol.portal.clinics_schemas import ClinicHoursIn, ClinicListOut, ClinicPublicOut
from epicontrol.portal.consultation_routes import router as consultation_router
from epicontrol.portal.estates_public_routes import router as estates_router
from epicontrol.portal.selfcheck_public_routes import router as selfcheck_router
from epicontrol.reports.selfcheck_places import pickable_divisions
from epicontrol.web.plotly_static import plotly_js_url
from epicontrol.web.templating import render

router = APIRouter()
router.include_router(estates_router)
router.include_router(selfcheck_router)
router.include_router(consultation_router)

PlaceWriter = Annotated[Principal, Depends(require(Permission.PLACE_WRITE))]
Latitude = Annotated[float | None, Query(ge=-90, le=90)]
Longitude = Annotated[float | None, Query(ge=-180, le=180)]
# Queues change by the minute: public caches may keep a list for half of one. Pages differ by
# language, which comes from ?lang=, the cookie or Accept-Language.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=30"}
PAGE_CACHE = {**PUBLIC_CACHE, "Vary": "Accept-Language, Cookie"}


@router.get("/api/public/clinics", tags=["portal"])
def clinic_list(
    db: DbSession,
    response: Response,
    lat: Latitude = None,
    lon: Longitude = None,
    division_id: int | None = None,
    estate_id: int | None = None,
) -> ClinicListOut:
    """Every designated fever clinic with hours and queue estimate, nearest first."""
    origin = clinics.origin_from(
        db, latitude=lat, longitude=lon, division_id=division_id, estate_id=estate_id
    )
    response.headers.update(PUBLIC_CACHE)
    return clinics.list_clinics(db, origin=origin, now=utcnow())


@router.put("/api/clinics/{code}/hours", tags=["portal"])
def set_clinic_hours(
    code: str, data: ClinicHoursIn, db: DbSession, principal: PlaceWriter
) -> ClinicPublicOut:
    """Set a fever clinic's phone and weekly opening hours (officers, admins)."""
    return clinics.set_hours(db, principal=principal, code=code, data=data)


def _number(text: str | None, name: str, low: float, high: float) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name} {text!r} is not a number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} {value} is outside {low}..{high}")
    return value


def _whole(text: str | None, name: str) -> int | None:
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit():
        raise InvalidInput(f"{name} {text!r} is not a number")
    return int(text)


@router.get("/public/clinics", include_in_schema=False)
def clinics_page(
    request: Request,
    db: DbSession,
    lat: str | None = None,
    lon: str | None = None,
    division: str | None = None,
    estate: str | None = None,
) -> Response:
    """The map and list; a typed or located position, a division or an estate ranks them."""
    errors: list[str] = []
    try:
        origin = clinics.origin_from(
            db,
            latitude=_number(lat, "latitude", -90, 90),
            longitude=_number(lon, "longitude", -180, 180),
            division_id=_whole(division, "division"),
            estate_id=_whole(estate, "estate"),
        )
    except InvalidInput as error:
        origin = None
        errors = [
            _(
                "The location was not understood (%(detail)s): give both latitude and longitude "
                "as numbers, or pick your area.",
                detail=error.message,
            )
        ]
    listing = clinics.list_clinics(db, origin=origin, now=utcnow())
    context = {
        "listing": listing,
        "map": map_html(listing),
        "plotly_js": plotly_js_url(),
        "divisions": pickable_divisions(db),
        "picked": {"lat": lat or "", "lon": lon or "", "division": division or ""},
        "errors": errors,
        "minutes_per_patient": clinics.MINUTES_PER_PATIENT,
    }
    status = 422 if errors else 200
    response = render(request, "portal_clinics.html", context, status_code=status)
    response.headers.update(PAGE_CACHE)
    return response

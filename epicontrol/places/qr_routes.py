"""Place QR codes: the check-in address as SVG or PNG, and a printable poster for officers."""

from __future__ import annotations

import base64
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, require
from epicontrol.core.errors import AccessDenied, NotFound
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division
from epicontrol.health_code import rendering
from epicontrol.places.models import Place
from epicontrol.web.templating import render

router = APIRouter(tags=["places"])
Reader = Annotated[Principal, Depends(require(Permission.PLACE_READ))]
# A place QR never changes, but a browser should not keep it past a rename of the host.
CACHE = {"Cache-Control": "private, max-age=3600"}


def place_with_path(db: Session, *, code: str) -> tuple[Place, str]:
    """The place with this code and its division path, or NotFound."""
    row = db.execute(
        select(Place, Division.path)
        .join(Division, Division.id == Place.division_id)
        .where(Place.code == code)
    ).first()
    if row is None:
        raise NotFound(f"place '{code}' does not exist")
    place, path = row
    return place, path


def checkin_url(request: Request, code: str) -> str:
    """The absolute check-in address a place QR carries, on the host the request came to."""
    return f"{str(request.base_url).rstrip('/')}/c/{quote(code, safe='')}"


@router.get("/api/places/{code}/qr.svg")
def place_qr_svg(code: str, request: Request, db: DbSession, _principal: Reader) -> Response:
    """The place QR (its check-in address) as SVG."""
    place, _path = place_with_path(db, code=code)
    svg = rendering.qr_svg(checkin_url(request, place.code))
    return Response(svg, media_type="image/svg+xml", headers=CACHE)


@router.get("/api/places/{code}/qr.png")
def place_qr_png(code: str, request: Request, db: DbSession, _principal: Reader) -> Response:
    """The place QR (its check-in address) as PNG."""
    place, _path = place_with_path(db, code=code)
    png = rendering.qr_png(checkin_url(request, place.code))
    return Response(png, media_type="image/png", headers=CACHE)


@router.get("/places/{code}/poster", include_in_schema=False)
def place_poster(code: str, request: Request, db: DbSession, principal: Reader) -> Response:
    """A printable A4 poster of a place in the caller's scope: name, QR, how to check in."""
    place, path = place_with_path(db, code=code)
    if not principal.covers(path):
        raise AccessDenied(
            f"place {place.name} is outside your scope",
            action=str(Permission.PLACE_READ),
            entity="place",
            entity_id=str(place.id),
        )
    url = checkin_url(request, place.code)
    # Embedded, so the poster prints (and works offline) without a second request.
    svg = base64.b64encode(rendering.qr_svg(url, scale=10)).decode()
    context = {"place": place, "url": url, "qr_data_uri": f"data:image/svg+xml;base64,{svg}"}
    return render(request, "checkin_poster.html", context)

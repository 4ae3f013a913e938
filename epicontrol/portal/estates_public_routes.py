"""Routes of the public search of housing estates with cases (涉疫小区查询)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from epicontrol.core.deps import DbSession
from epicontrol.portal import estates_public
from epicontrol.web.templating import render

router = APIRouter()
SearchText = Annotated[str, Query(max_length=estates_public.MAX_QUERY)]
# Cases are reported a few times a day: a minute in a public cache survives a rush.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}
PAGE_CACHE = {**PUBLIC_CACHE, "Vary": "Accept-Language, Cookie"}  # pages differ by language


class AffectedEstateOut(BaseModel):
    """An estate with cases, as the public sees it."""

    estate_id: int
    name: str
    address: str
    community: str
    first_case_on: str
    latest_case_on: str
    score: float


def _out(estate: estates_public.AffectedEstate) -> AffectedEstateOut:
    return AffectedEstateOut(
        estate_id=estate.estate_id,
        name=estate.name,
        address=estate.address,
        community=estate.community,
        first_case_on=estate.first_case_on.isoformat(),
        latest_case_on=estate.latest_case_on.isoformat(),
        score=round(estate.score, 1),
    )


@router.get("/api/public/estates", tags=["portal"])
def estates_api(db: DbSession, response: Response, q: SearchText = "") -> list[AffectedEstateOut]:
    """Estates with confirmed or asymptomatic cases matching `q` (typos tolerated), best first."""
    response.headers.update(PUBLIC_CACHE)
    return [_out(e) for e in estates_public.search(db, query=q)]


@router.get("/public/estates", include_in_schema=False)
def estates_page(request: Request, db: DbSession, q: SearchText = "") -> Response:
    """The search form and the matching estates with their first and latest case dates."""
    context = {"query": q, "estates": estates_public.search(db, query=q)}
    response = render(request, "portal_estates.html", context)
    response.headers.update(PAGE_CACHE)
    return response

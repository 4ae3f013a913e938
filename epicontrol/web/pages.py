"""Pages that span domains: the home page of each role and the residents list for staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.deps import DbSession, optional_principal, require
from epicontrol.core.policy import Permission
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.people import service as people
from epicontrol.people.models import Resident
from epicontrol.web.menu import links_for
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
StaffReader = Annotated[Principal, Depends(require(Permission.RESIDENT_LIST))]


def _resident_counts(db: Session, subdivisions: list[Division]) -> dict[int, int]:
    """Residents registered under each subdivision (one grouped query)."""
    counts: dict[int, int] = {}
    for division in subdivisions:
        counts[division.id] = (
            db.scalar(
                select(func.count())
                .select_from(Resident)
                .join(Division, Division.id == Resident.division_id)
                .where(Division.path.startswith(division.path, autoescape=True))
            )
            or 0
        )
    return counts


@router.get("/")
def home(request: Request, db: DbSession, principal: MaybePrincipal) -> Response:
    """The caller's start page, scoped to their division; anonymous callers go to /login."""
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    scope = divisions.get(db, division_id=principal.division_id)
    subdivisions = divisions.children(db, division_id=scope.id)
    context = {
        "scope": scope,
        "trail": divisions.ancestors(db, division=scope),
        "subdivisions": subdivisions,
        "counts": _resident_counts(db, subdivisions),
        "links": links_for(principal),
    }
    return render(request, "home.html", context)


@router.get("/residents")
def residents_page(
    request: Request,
    db: DbSession,
    principal: StaffReader,
    division_id: int,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Residents of a division in the caller's scope, masked."""
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    rows = people.list_in_division(
        db,
        principal=principal,
        division_id=division_id,
        purpose="residents page",
        offset=offset,
        limit=100,
    )
    context = {"division": division, "residents": rows, "offset": offset}
    return render(request, "residents.html", context)

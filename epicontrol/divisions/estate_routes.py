"""Housing-estate health registration: the API and the phone-first pages.

- GET  /api/estates                                             estates in scope with summaries
- GET  /api/estates/{estate_id}                                 summary and households (audited)
- POST /api/estates/{estate_id}/households/{household_id}/registrations   a visit (grid worker)
- GET  /estates                                                 the list page
- GET  /estates/{estate_id}                                     households with status, visit form
- POST /estates/{estate_id}/households/{household_id}/register  the page's visit form
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.divisions import estates
from epicontrol.divisions.estate_models import HouseholdStatus
from epicontrol.divisions.estate_schemas import (
    EstateOut,
    EstateSort,
    EstatesOut,
    RegistrationIn,
    RegistrationOut,
)
from epicontrol.web.templating import render

router = APIRouter()
Reader = Annotated[Principal, Depends(require(Permission.ESTATE_READ))]
Registrar = Annotated[Principal, Depends(require(Permission.ESTATE_REGISTER))]
Page = Annotated[int, Query(ge=1, le=10_000)]
Name = Annotated[str, Query(max_length=60)]

# Strings shown to people, Chinese with the English beside; move to the catalogue when it exists.
STATUS_LABELS = {
    HouseholdStatus.CASE.value: "病例 case",
    HouseholdStatus.UNDER_OBSERVATION.value: "观察中 under observation",
    HouseholdStatus.NORMAL.value: "正常 normal",
}


@router.get("/api/estates", tags=["estates"])
def list_estates(
    db: DbSession,
    principal: Reader,
    purpose: Purpose,
    name: Name = "",
    sort: EstateSort = EstateSort.NAME,
    page: Page = 1,
) -> EstatesOut:
    """Estates of the caller's scope with their summaries, 50 a page; audited."""
    return estates.list_in_scope(
        db,
        principal=principal,
        now=utcnow(),
        name=name,
        sort=sort,
        page=page,
        purpose=purpose or "estate list",
    )


@router.get("/api/estates/{estate_id}", tags=["estates"])
def read_estate(
    db: DbSession,
    principal: Reader,
    purpose: Purpose,
    estate_id: int,
    status: HouseholdStatus | None = None,
    page: Page = 1,
) -> EstateOut:
    """An estate's summary and its households (masked names), most serious first; audited."""
    return estates.read(
        db,
        principal=principal,
        estate_id=estate_id,
        now=utcnow(),
        status=status,
        page=page,
        purpose=purpose or "estate health registration",
    )


@router.post(
    "/api/estates/{estate_id}/households/{household_id}/registrations",
    status_code=201,
    tags=["estates"],
)
def register_visit(
    db: DbSession, principal: Registrar, estate_id: int, household_id: int, data: RegistrationIn
) -> RegistrationOut:
    """A grid worker's visit to a household of their grid; it becomes its latest one."""
    return estates.register(
        db,
        principal=principal,
        estate_id=estate_id,
        household_id=household_id,
        data=data,
        now=utcnow(),
    )


@router.get("/estates", include_in_schema=False)
def estates_page(
    request: Request,
    db: DbSession,
    principal: Reader,
    name: Name = "",
    sort: EstateSort = EstateSort.NAME,
    page: Page = 1,
) -> Response:
    """The estates of the caller's scope with their summaries, searchable and sortable."""
    listed = estates.list_in_scope(
        db, principal=principal, now=utcnow(), name=name, sort=sort, page=page
    )
    return render(request, "estate_list.html", {"listed": listed})


@router.get("/estates/{estate_id}", include_in_schema=False)
def estate_page(
    request: Request,
    db: DbSession,
    principal: Reader,
    estate_id: int,
    status: HouseholdStatus | None = None,
    page: Page = 1,
) -> Response:
    """One estate: its summary, households by status and, for grid workers, a visit form."""
    estate = estates.read(
        db,
        principal=principal,
        estate_id=estate_id,
        now=utcnow(),
        status=status,
        page=page,
        purpose="estate page",
    )
    context = {
        "estate": estate,
        "statuses": STATUS_LABELS,
        "can_register": is_allowed(principal.role, Permission.ESTATE_REGISTER),
        "registered": request.query_params.get("registered"),
        "time_zone": LOCAL_TIME,
    }
    return render(request, "estate_detail.html", context)


@router.post("/estates/{estate_id}/households/{household_id}/register", include_in_schema=False)
def register_from_page(
    db: DbSession,
    principal: Registrar,
    estate_id: int,
    household_id: int,
    members_present: Annotated[str, Form(max_length=4)] = "",
    has_fever_or_symptoms: Annotated[str, Form(max_length=5)] = "",
    has_arrival_from_outside: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=400)] = "",
    status: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    """The page's visit form, validated as the API's body, then back to the estate (htmx
    follows the redirect and swaps the refreshed summary and list in)."""
    try:
        data = RegistrationIn(
            members_present=members_present,  # type: ignore[arg-type]  # pydantic parses text
            has_fever_or_symptoms=has_fever_or_symptoms == "yes",
            has_arrival_from_outside=has_arrival_from_outside == "yes",
            note=note,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise InvalidInput(f"the visit was not saved: {problems}") from None
    estates.register(
        db,
        principal=principal,
        estate_id=estate_id,
        household_id=household_id,
        data=data,
        now=utcnow(),
    )
    query: dict[str, str | int] = {"registered": household_id}
    if status in {s.value for s in HouseholdStatus}:
        query["status"] = status  # the filter the page had
    return RedirectResponse(
        f"/estates/{estate_id}?{urlencode(query)}#household-{household_id}", status_code=303
    )

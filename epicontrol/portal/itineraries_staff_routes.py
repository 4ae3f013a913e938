"""The staff side of itineraries: draft from a case, remove stops, approve (four eyes),
withdraw; pages under /itineraries and an API under /api/itineraries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.portal import itineraries, itineraries_read
from epicontrol.portal import itineraries_labels as labels
from epicontrol.portal.itineraries_schemas import DraftIn, StaffItineraryOut, WithdrawIn
from epicontrol.web.templating import render

router = APIRouter()
Drafter = Annotated[Principal, Depends(require(Permission.ITINERARY_DRAFT))]
Approver = Annotated[Principal, Depends(require(Permission.ITINERARY_APPROVE))]
# Reading drafts is for whoever approves them; every drafter is also an approver in the policy.
Reader = Approver
NO_STORE = {"Cache-Control": "no-store"}


def _detail(db: DbSession, principal: Principal, itinerary_id: int) -> StaffItineraryOut:
    return itineraries_read.staff_detail(db, principal=principal, itinerary_id=itinerary_id)


@router.get("/api/itineraries", tags=["itineraries"])
def list_itineraries(db: DbSession, principal: Reader) -> list[StaffItineraryOut]:
    """Itineraries of cases in the caller's division, drafts first."""
    return itineraries_read.staff_list(db, principal=principal)


@router.get("/api/itineraries/{itinerary_id}", tags=["itineraries"])
def get_itinerary(db: DbSession, principal: Reader, itinerary_id: int) -> StaffItineraryOut:
    """One itinerary in any state (audited)."""
    return _detail(db, principal, itinerary_id)


@router.post("/api/itineraries", status_code=201, tags=["itineraries"])
def draft_itinerary(db: DbSession, principal: Drafter, body: DraftIn) -> StaffItineraryOut:
    """Draft (or redraft) a case's itinerary from its investigation."""
    made = itineraries.draft(db, principal=principal, case_id=body.case_id, now=utcnow())
    return _detail(db, principal, made.id)


@router.delete("/api/itineraries/{itinerary_id}/stops/{stop_id}", tags=["itineraries"])
def remove_stop(
    db: DbSession, principal: Drafter, itinerary_id: int, stop_id: int
) -> StaffItineraryOut:
    """Take a stop out of a draft."""
    itineraries.remove_stop(
        db, principal=principal, itinerary_id=itinerary_id, stop_id=stop_id, now=utcnow()
    )
    return _detail(db, principal, itinerary_id)


@router.post("/api/itineraries/{itinerary_id}/approve", tags=["itineraries"])
def approve(db: DbSession, principal: Approver, itinerary_id: int) -> StaffItineraryOut:
    """Publish a draft drafted and edited by someone else."""
    itineraries.approve(db, principal=principal, itinerary_id=itinerary_id, now=utcnow())
    return _detail(db, principal, itinerary_id)


@router.post("/api/itineraries/{itinerary_id}/withdraw", tags=["itineraries"])
def withdraw(
    db: DbSession, principal: Approver, itinerary_id: int, body: WithdrawIn
) -> StaffItineraryOut:
    """Take a published itinerary down."""
    itineraries.withdraw(
        db, principal=principal, itinerary_id=itinerary_id, reason=body.reason, now=utcnow()
    )
    return _detail(db, principal, itinerary_id)


def _page(request: Request, name: str, context: dict[str, Any]) -> Response:
    context.update(time_zone=LOCAL_TIME, place_kinds=labels.PLACE_KINDS)
    response = render(request, name, context)
    response.headers.update(NO_STORE)
    return response


@router.get("/itineraries", include_in_schema=False)
def itineraries_page(request: Request, db: DbSession, principal: Reader) -> Response:
    """Drafts, published and withdrawn itineraries, and the cases that may get one."""
    can_draft = is_allowed(principal.role, Permission.ITINERARY_DRAFT)
    context: dict[str, Any] = {
        "itineraries": itineraries_read.staff_list(db, principal=principal),
        "cases": itineraries_read.draftable_cases(db, principal=principal) if can_draft else [],
        "can_draft": can_draft,
    }
    return _page(request, "itinerary_staff.html", context)


@router.get("/itineraries/{itinerary_id}", include_in_schema=False)
def itinerary_page(
    request: Request, db: DbSession, principal: Reader, itinerary_id: int
) -> Response:
    """One itinerary with its stops and the actions the caller may take."""
    context: dict[str, Any] = {
        "it": _detail(db, principal, itinerary_id),
        "can_draft": is_allowed(principal.role, Permission.ITINERARY_DRAFT),
        "me": principal.username,
    }
    return _page(request, "itinerary_staff_detail.html", context)


def _back(itinerary_id: int) -> Response:
    return RedirectResponse(f"/itineraries/{itinerary_id}", status_code=303)


@router.post("/itineraries", include_in_schema=False)
def draft_form(db: DbSession, principal: Drafter, case_id: Annotated[int, Form()]) -> Response:
    """Draft from the list page's form, then show the draft."""
    made = itineraries.draft(db, principal=principal, case_id=case_id, now=utcnow())
    return _back(made.id)


@router.post("/itineraries/{itinerary_id}/stops/{stop_id}/remove", include_in_schema=False)
def remove_stop_form(
    db: DbSession, principal: Drafter, itinerary_id: int, stop_id: int
) -> Response:
    """Remove a stop from the draft page."""
    itineraries.remove_stop(
        db, principal=principal, itinerary_id=itinerary_id, stop_id=stop_id, now=utcnow()
    )
    return _back(itinerary_id)


@router.post("/itineraries/{itinerary_id}/approve", include_in_schema=False)
def approve_form(db: DbSession, principal: Approver, itinerary_id: int) -> Response:
    """Approve and publish from the draft page."""
    itineraries.approve(db, principal=principal, itinerary_id=itinerary_id, now=utcnow())
    return _back(itinerary_id)


@router.post("/itineraries/{itinerary_id}/withdraw", include_in_schema=False)
def withdraw_form(
    db: DbSession,
    principal: Approver,
    itinerary_id: int,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Withdraw from the itinerary's page, with the reason typed there."""
    itineraries.withdraw(
        db, principal=principal, itinerary_id=itinerary_id, reason=reason, now=utcnow()
    )
    return _back(itinerary_id)

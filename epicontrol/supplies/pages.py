"""Face-mask pages: the public/resident page (zh/en), officers' rounds, the pharmacy counter.

- GET  /public/masks                      rounds; for a resident also the order form and their
                                          reservations with pickup code and QR
- POST /public/masks/reserve              the order form (MASK_ORDER)
- GET  /supplies/rounds                   an officer's rounds and the form to open one
- POST /supplies/rounds                   open a round from the form (MASK_MANAGE)
- POST /supplies/rounds/{id}/draw         draw a closed lottery round
- GET  /supplies/pickup                   the pharmacy counter (phone-first; MASK_DISPENSE)
- POST /supplies/pickup                   hand out masks against a typed or scanned code
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, optional_principal, require
from epicontrol.core.errors import EpicontrolError, InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.supplies import codes, pickup, reservations, rounds
from epicontrol.supplies.models import Allocation
from epicontrol.supplies.schemas import RoundForm, RoundIn
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Caller = Annotated[Principal | None, Depends(optional_principal)]
Manager = Annotated[Principal, Depends(require(Permission.MASK_MANAGE))]
Orderer = Annotated[Principal, Depends(require(Permission.MASK_ORDER))]
Dispenser = Annotated[Principal, Depends(require(Permission.MASK_DISPENSE))]


def local(moment: datetime | None) -> str:
    """A moment as a China wall-clock time, for pages."""
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M") if moment else ""


@router.get("/public/masks")
def masks_page(request: Request, db: DbSession, principal: Caller) -> Response:
    """Rounds open to everyone's view; a resident also orders and sees their pickup codes."""
    return _masks_page(request, db, principal, message=None, status_code=200)


def _masks_page(
    request: Request,
    db: Session,
    principal: Principal | None,
    *,
    message: str | None,
    status_code: int,
) -> Response:
    now = utcnow()
    is_resident = principal is not None and is_allowed(principal.role, Permission.MASK_ORDER)
    context: dict[str, Any] = {
        "message": message,
        "is_resident": is_resident,
        "now": now,
        "local": local,
        "qr_inline": codes.qr_svg,  # inline: the page needs no second request
        "shown": codes.shown,
        "LOTTERY": Allocation.LOTTERY,
    }
    if is_resident and principal is not None and principal.household_id is not None:
        mine = reservations.household_reservations(db, principal=principal, purpose="masks page")
        context["mine"] = mine
        context["reserved_rounds"] = {r.round_id for r in mine}
        context["rounds"] = reservations.rounds_for_household(db, principal=principal, now=now)
    else:
        context["mine"] = []
        context["reserved_rounds"] = set()
        context["rounds"] = rounds.public_rounds(db, now=now)
    response = render(request, "masks_public.html", context, status_code=status_code)
    return response


@router.post("/public/masks/reserve")
def reserve_from_page(
    request: Request,
    db: DbSession,
    principal: Orderer,
    round_id: Annotated[int, Form()],
    place_id: Annotated[int, Form()],
    masks: Annotated[int | None, Form()] = None,
) -> Response:
    """The order form: back to the page with the new pickup code, or the reason it failed."""
    order = reservations.Order(round_id=round_id, place_id=place_id, masks=masks)
    try:
        made = reservations.reserve(db, principal=principal, order=order, now=utcnow())
    except EpicontrolError as refused:
        db.rollback()
        return _masks_page(
            request, db, principal, message=refused.message, status_code=refused.status_code
        )
    return RedirectResponse(f"/public/masks#reservation-{made.id}", status_code=303)


@router.get("/supplies/rounds")
def rounds_page(request: Request, db: DbSession, principal: Manager) -> Response:
    """An officer's rounds with their counts, and the form to open a new one."""
    return _rounds_page(request, db, principal, error=None, status_code=200)


def _rounds_page(
    request: Request, db: Session, principal: Principal, *, error: str | None, status_code: int
) -> Response:
    context = {
        "rounds": rounds.rounds_in_scope(db, principal=principal),
        "divisions": rounds.divisions_for_rounds(db, principal=principal),
        "pharmacies": pickup.pharmacies_in_scope(db, principal=principal),
        "error": error,
        "now": utcnow(),
        "local": local,
    }
    return render(request, "masks_rounds.html", context, status_code=status_code)


def _local_form_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=LOCAL_TIME)
    except ValueError as bad:
        raise InvalidInput(f"not a date and time: {value!r}") from bad


@router.post("/supplies/rounds")
def open_round_from_page(
    request: Request,
    db: DbSession,
    principal: Manager,
    form: Annotated[RoundForm, Form()],
) -> Response:
    """The officer's form (times in China time): back to the list, or the form with the error."""
    try:
        data = RoundIn(
            division_id=form.division_id,
            title_zh=form.title_zh,
            title_en=form.title_en,
            allocation=form.allocation,
            masks_per_household=form.masks_per_household,
            supply=form.supply,
            opens_at=_local_form_time(form.opens_at),
            closes_at=_local_form_time(form.closes_at),
            pickup_starts_at=_local_form_time(form.pickup_starts_at),
            pickup_ends_at=_local_form_time(form.pickup_ends_at),
            pharmacy_ids=form.pharmacy_ids,
        )
        rounds.open_round(db, principal=principal, data=data)
    except ValidationError as bad:
        db.rollback()
        error = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in bad.errors())
        return _rounds_page(request, db, principal, error=error, status_code=422)
    except EpicontrolError as refused:
        db.rollback()
        return _rounds_page(
            request, db, principal, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/supplies/rounds", status_code=303)


@router.post("/supplies/rounds/{round_id}/draw")
def draw_from_page(request: Request, db: DbSession, principal: Manager, round_id: int) -> Response:
    """The draw button of a closed lottery round."""
    try:
        rounds.draw_lottery(db, principal=principal, round_id=round_id, now=utcnow())
    except EpicontrolError as refused:
        db.rollback()
        return _rounds_page(
            request, db, principal, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse(f"/supplies/rounds#round-{round_id}", status_code=303)


@router.get("/supplies/pickup")
def pickup_page(request: Request, db: DbSession, principal: Dispenser) -> Response:
    """The pharmacy counter: type or scan a pickup code."""
    return _pickup_page(request, db, principal, outcome=None, status_code=200)


def _pickup_page(
    request: Request, db: Session, principal: Principal, *, outcome: Any, status_code: int
) -> Response:
    context = {
        "pharmacies": pickup.pharmacies_in_scope(db, principal=principal),
        "posted": principal.place_id is not None,
        "outcome": outcome,
        "local": local,
    }
    return render(request, "masks_pickup.html", context, status_code=status_code)


@router.post("/supplies/pickup")
def pickup_from_page(
    request: Request,
    db: DbSession,
    principal: Dispenser,
    code: Annotated[str, Form(max_length=40)],
    place_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Hand out masks against a code; the answer is shown large, green or red."""
    try:
        place = pickup.counter_place(db, principal=principal, place_id=place_id)
    except EpicontrolError as refused:
        outcome = {"ok": False, "reason": "no_pharmacy", "message": refused.message}
        return _pickup_page(request, db, principal, outcome=outcome, status_code=422)
    result = pickup.dispense(db, principal=principal, typed_code=code, place=place, now=utcnow())
    return _pickup_page(
        request,
        db,
        principal,
        outcome=result.model_dump(),
        status_code=pickup.STATUS[result.reason],
    )

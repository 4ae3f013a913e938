"""Face-mask ordering: the JSON API (the pages are in pages.py, included below).

- GET  /api/public/supplies/rounds               rounds taking orders now or soon (anonymous)
- GET  /api/public/supplies/rounds/{id}/draw     a lottery's seed, applications and winners
- GET  /api/supplies/rounds                      an officer's rounds with their counts
- POST /api/supplies/rounds                      open a round (MASK_MANAGE)
- GET  /api/supplies/rounds/{id}                 one round
- POST /api/supplies/rounds/{id}/draw            draw a closed lottery round
- GET  /api/supplies/rounds/open                 rounds open to the caller's household
- POST /api/supplies/reservations                reserve for the caller's household (MASK_ORDER)
- GET  /api/supplies/reservations/mine           the household's reservations and pickup codes
- GET  /api/supplies/reservations/{id}/qr.svg    a pickup code as a QR picture
- POST /api/supplies/pickups                     hand out masks against a code (MASK_DISPENSE)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, require
from epicontrol.core.policy import Permission
from epicontrol.supplies import codes, pickup, reservations, rounds
from epicontrol.supplies.pages import router as pages_router
from epicontrol.supplies.schemas import (
    DrawOut,
    PickupIn,
    PickupOut,
    ReservationIn,
    ReservationOut,
    RoundIn,
    RoundOut,
)

router = APIRouter(tags=["supplies"])
Manager = Annotated[Principal, Depends(require(Permission.MASK_MANAGE))]
Orderer = Annotated[Principal, Depends(require(Permission.MASK_ORDER))]
Dispenser = Annotated[Principal, Depends(require(Permission.MASK_DISPENSE))]


@router.get("/api/public/supplies/rounds")
def public_rounds(db: DbSession) -> list[RoundOut]:
    """Rounds taking orders now or soon, and those still in their pickup window."""
    return rounds.public_rounds(db, now=utcnow())


@router.get("/api/public/supplies/rounds/{round_id}/draw")
def public_draw(db: DbSession, round_id: int) -> DrawOut:
    """A drawn lottery's published record, enough to re-run it (supplies/lottery.py)."""
    return rounds.draw_record(db, round_id=round_id)


@router.get("/api/supplies/rounds")
def list_rounds(db: DbSession, principal: Manager) -> list[RoundOut]:
    """Rounds of the caller's area, newest first, with their counts."""
    return rounds.rounds_in_scope(db, principal=principal)


@router.post("/api/supplies/rounds", status_code=201)
def open_round(db: DbSession, principal: Manager, data: RoundIn) -> RoundOut:
    """Open a supply round for a division of the caller's area."""
    created = rounds.open_round(db, principal=principal, data=data)
    return rounds.describe(db, [created])[0]


@router.get("/api/supplies/rounds/open")
def rounds_open_to_me(db: DbSession, principal: Orderer) -> list[RoundOut]:
    """Rounds of the caller's household's division that take orders now or will."""
    return reservations.rounds_for_household(db, principal=principal, now=utcnow())


@router.get("/api/supplies/rounds/{round_id}")
def read_round(db: DbSession, principal: Manager, round_id: int) -> RoundOut:
    """One round of the caller's area."""
    found = rounds.get_in_scope(db, principal=principal, round_id=round_id)
    return rounds.describe(db, [found])[0]


@router.post("/api/supplies/rounds/{round_id}/draw")
def draw(db: DbSession, principal: Manager, round_id: int) -> DrawOut:
    """Draw a lottery round after it closed: winners get pickup codes."""
    return rounds.draw_lottery(db, principal=principal, round_id=round_id, now=utcnow())


@router.post("/api/supplies/reservations", status_code=201)
def reserve(db: DbSession, principal: Orderer, data: ReservationIn) -> ReservationOut:
    """Reserve masks for the caller's household (one reservation per household per round)."""
    order = reservations.Order(round_id=data.round_id, place_id=data.place_id, masks=data.masks)
    made = reservations.reserve(db, principal=principal, order=order, now=utcnow())
    return reservations.reservation_out(db, made)


@router.get("/api/supplies/reservations/mine")
def my_reservations(db: DbSession, principal: Orderer, purpose: Purpose) -> list[ReservationOut]:
    """The caller's household's reservations with their pickup codes; audited."""
    return reservations.household_reservations(db, principal=principal, purpose=purpose)


@router.get("/api/supplies/reservations/{reservation_id}/qr.svg")
def pickup_qr(db: DbSession, principal: Orderer, reservation_id: int) -> Response:
    """The pickup code of one of the household's reservations as an SVG QR code."""
    code = reservations.own_pickup_code(db, principal=principal, reservation_id=reservation_id)
    return Response(
        codes.qr_svg_file(code),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, no-store"},
    )


@router.post("/api/supplies/pickups", response_model=PickupOut, responses={404: {}, 409: {}})
def hand_out(db: DbSession, principal: Dispenser, data: PickupIn) -> JSONResponse:
    """Hand out masks against a pickup code: 200 to hand them out, 404/409 with the reason."""
    place = pickup.counter_place(db, principal=principal, place_id=data.place_id)
    outcome = pickup.dispense(
        db, principal=principal, typed_code=data.code, place=place, now=utcnow()
    )
    return JSONResponse(outcome.model_dump(mode="json"), status_code=pickup.STATUS[outcome.reason])


router.include_router(pages_router)

"""Routes of free online consultations: the API, the resident's booking page and the clinic
staff's list (a logged-in resident books; CONSULT_MANAGE staff mark bookings done)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, require
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.i18n import gettext as _
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.core.policy import Permission
from epicontrol.portal import consultation
from epicontrol.portal.consultation_models import ConsultationState
from epicontrol.portal.consultation_schemas import (
    MAX_SUMMARY,
    BookingIn,
    ConsultationOut,
    ConsultationStaffOut,
    SlotOut,
)
from epicontrol.web.templating import render

router = APIRouter()
Booker = Annotated[Principal, Depends(require(Permission.CONSULT_BOOK))]
Manager = Annotated[Principal, Depends(require(Permission.CONSULT_MANAGE))]
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/api/consultations/slots", tags=["portal"])
def slots_api(db: DbSession, principal: Booker, day: date | None = None) -> list[SlotOut]:
    """The slots of a day (today by default) with the places left in each."""
    now = utcnow()
    return consultation.slots(db, day=day or local_date(now), now=now)


@router.post("/api/consultations", status_code=201, tags=["portal"])
def book_api(data: BookingIn, db: DbSession, principal: Booker) -> ConsultationOut:
    """Book a slot (409 when it is full or the caller already holds a booking)."""
    return consultation.book(db, principal=principal, data=data, now=utcnow())


@router.get("/api/consultations/mine", tags=["portal"])
def mine_api(db: DbSession, principal: Booker) -> list[ConsultationOut]:
    """The caller's own bookings."""
    return consultation.list_mine(db, principal=principal)


@router.post("/api/consultations/{consultation_id}/cancel", tags=["portal"])
def cancel_api(consultation_id: int, db: DbSession, principal: Booker) -> ConsultationOut:
    """Cancel one of the caller's bookings."""
    return consultation.cancel(
        db, principal=principal, consultation_id=consultation_id, now=utcnow()
    )


@router.get("/api/consultations", tags=["portal"])
def staff_list_api(
    db: DbSession,
    principal: Manager,
    purpose: Purpose,
    day: date | None = None,
    state: ConsultationState | None = None,
) -> list[ConsultationStaffOut]:
    """Bookings of a day of residents in the caller's division (audited)."""
    return consultation.list_for_staff(
        db, principal=principal, day=day or local_date(utcnow()), purpose=purpose, state=state
    )


@router.post("/api/consultations/{consultation_id}/done", tags=["portal"])
def done_api(consultation_id: int, db: DbSession, principal: Manager) -> ConsultationOut:
    """Mark a booking done after the consultation."""
    return consultation.mark_done(
        db, principal=principal, consultation_id=consultation_id, now=utcnow()
    )


def _days(now: datetime) -> list[date]:
    today = local_date(now)
    return [today + timedelta(days=n) for n in range(consultation.DEFAULT_RULES.days_ahead + 1)]


def _booking_page(
    request: Request,
    db: DbSession,
    principal: Principal,
    *,
    day: date | None,
    summary: str = "",
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    days = _days(now)
    chosen = day if day in days else days[0]
    context: dict[str, Any] = {
        "days": days,
        "day": chosen,
        "slots": consultation.slots(db, day=chosen, now=now),
        "mine": consultation.list_mine(db, principal=principal),
        "summary": summary[:MAX_SUMMARY],
        "errors": errors or [],
        "time_zone": LOCAL_TIME,
        "booked": request.query_params.get("booked"),
    }
    response = render(request, "portal_consult.html", context, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


@router.get("/public/consult", include_in_schema=False)
def booking_page(
    request: Request,
    db: DbSession,
    principal: Booker,
    day: date | None = None,
    symptoms: str = "",
) -> Response:
    """Free slots of a day, a booking form (symptoms carried from the self-check), own bookings."""
    return _booking_page(request, db, principal, day=day, summary=symptoms)


def _words(error: InvalidInput | Conflict) -> str:
    """The refusal in the page's language (the API answers in English)."""
    if isinstance(error, consultation.SlotFull):
        return _("This slot is fully booked: choose another.")
    if isinstance(error, consultation.AlreadyBooked):
        return _("You already have a booked consultation: cancel it to book another.")
    return _("This time cannot be booked: %(reason)s", reason=error.message)


@router.post("/public/consult/book", include_in_schema=False)
def booking_submit(
    request: Request,
    db: DbSession,
    principal: Booker,
    slot_at: Annotated[str, Form(max_length=40)] = "",
    symptoms_summary: Annotated[str, Form(max_length=MAX_SUMMARY)] = "",
) -> Response:
    """Book the chosen slot, then show the bookings (a reload does not book twice)."""
    try:
        data = BookingIn.model_validate({"slot_at": slot_at, "symptoms_summary": symptoms_summary})
        booked = consultation.book(db, principal=principal, data=data, now=utcnow())
    except ValidationError:
        message = _("Choose a time slot.")
        return _booking_page(
            request, db, principal, day=None, summary=symptoms_summary, errors=[message],
            status_code=422,
        )  # fmt: skip
    except (InvalidInput, Conflict) as error:
        db.rollback()
        day = local_date(data.slot_at)
        return _booking_page(
            request, db, principal, day=day, summary=symptoms_summary, errors=[_words(error)],
            status_code=error.status_code,
        )  # fmt: skip
    db.commit()
    on = local_date(booked.slot_at).isoformat()
    return RedirectResponse(f"/public/consult?day={on}&booked={booked.id}", status_code=303)


@router.post("/public/consult/{consultation_id}/cancel", include_in_schema=False)
def cancel_submit(consultation_id: int, db: DbSession, principal: Booker) -> Response:
    """Cancel a booking from the booking page."""
    consultation.cancel(db, principal=principal, consultation_id=consultation_id, now=utcnow())
    return RedirectResponse("/public/consult", status_code=303)


@router.get("/public/consult/manage", include_in_schema=False)
def staff_page(
    request: Request, db: DbSession, principal: Manager, day: date | None = None
) -> Response:
    """Clinic staff: the day's bookings of residents in their division."""
    chosen = day or local_date(utcnow())
    context = {
        "day": chosen,
        "bookings": consultation.list_for_staff(
            db, principal=principal, day=chosen, purpose="consultation list page"
        ),
        "time_zone": LOCAL_TIME,
    }
    response = render(request, "portal_consult_manage.html", context)
    response.headers.update(NO_STORE)
    return response


@router.post("/public/consult/{consultation_id}/done", include_in_schema=False)
def done_submit(consultation_id: int, db: DbSession, principal: Manager) -> Response:
    """Mark a booking done from the staff page."""
    done = consultation.mark_done(
        db, principal=principal, consultation_id=consultation_id, now=utcnow()
    )
    return RedirectResponse(
        f"/public/consult/manage?day={local_date(done.slot_at).isoformat()}", status_code=303
    )

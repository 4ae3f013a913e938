"""Free online consultations: a resident books a 15-minute slot, cancels it; clinic staff list
the bookings of residents in their division and mark them done. Every step is audited.

A slot holds SlotRules.capacity bookings (doctors on duty per slot). Each booking takes a
numbered seat of its slot; the unique (slot_at, seat) pair makes the database refuse a second
booking of the same seat, so concurrent requests cannot overfill a slot: a request that loses
the race for a seat tries the next inside a savepoint, and is refused when none is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident
from epicontrol.portal.consultation_models import Consultation, ConsultationState
from epicontrol.portal.consultation_schemas import (
    BookingIn,
    ConsultationOut,
    ConsultationStaffOut,
    SlotOut,
)

ENTITY = "consultation"
MAX_PAGE = 500


class SlotFull(Conflict):
    """Every place of the slot is taken."""


class AlreadyBooked(Conflict):
    """The resident holds an open booking already (one at a time)."""


@dataclass(frozen=True, slots=True)
class SlotRules:
    """When consultations are offered (local time, every day) and how many per slot."""

    opens_at: time = time(8, 0)
    closes_at: time = time(20, 0)
    slot_minutes: int = 15
    capacity: int = 2  # doctors on duty in each slot
    days_ahead: int = 2  # today and the next two days can be booked


DEFAULT_RULES = SlotRules()


def slot_starts(day: date, rules: SlotRules = DEFAULT_RULES) -> list[datetime]:
    """Every slot start of a local day."""
    start = datetime.combine(day, rules.opens_at, LOCAL_TIME)
    end = datetime.combine(day, rules.closes_at, LOCAL_TIME)
    step = timedelta(minutes=rules.slot_minutes)
    starts = []
    while start + step <= end:
        starts.append(start)
        start += step
    return starts


def slots(
    db: Session, *, day: date, now: datetime, rules: SlotRules = DEFAULT_RULES
) -> list[SlotOut]:
    """The day's slots not yet begun, with how many places each has taken."""
    today = local_date(now)
    if not today <= day <= today + timedelta(days=rules.days_ahead):
        raise InvalidInput(
            f"consultations can be booked from {today} to "
            f"{today + timedelta(days=rules.days_ahead)}, not on {day}"
        )
    starts = [s for s in slot_starts(day, rules) if s > now]
    if not starts:
        return []
    taken = dict(
        db.execute(
            select(Consultation.slot_at, func.count())
            .where(
                Consultation.slot_at >= starts[0],
                Consultation.slot_at <= starts[-1],
                Consultation.seat.is_not(None),
            )
            .group_by(Consultation.slot_at)
        ).all()
    )
    return [
        SlotOut(
            slot_at=s,
            capacity=rules.capacity,
            booked=taken.get(s, 0),
            free=max(rules.capacity - taken.get(s, 0), 0),
        )
        for s in starts
    ]


def _check_slot(slot_at: datetime, now: datetime, rules: SlotRules) -> datetime:
    local = slot_at.astimezone(LOCAL_TIME)
    if local not in slot_starts(local.date(), rules):
        raise InvalidInput(
            f"{local.isoformat()} is not the start of a {rules.slot_minutes}-minute slot between "
            f"{rules.opens_at:%H:%M} and {rules.closes_at:%H:%M} (China time)"
        )
    if slot_at <= now:
        raise InvalidInput(f"the slot {local.isoformat()} has already begun")
    if local.date() > local_date(now) + timedelta(days=rules.days_ahead):
        raise InvalidInput(f"slots can be booked up to {rules.days_ahead} days ahead")
    return local


def _resident(principal: Principal) -> int:
    if principal.resident_id is None:
        raise AccessDenied(
            "this login is not linked to a resident: only residents book consultations",
            action=str(Permission.CONSULT_BOOK),
            entity=ENTITY,
        )
    return principal.resident_id


def _open_booking(db: Session, resident_id: int) -> Consultation | None:
    return db.scalar(select(Consultation).where(Consultation.open_resident_id == resident_id))


def _out(booking: Consultation) -> ConsultationOut:
    return ConsultationOut(
        id=booking.id,
        slot_at=booking.slot_at,
        symptoms_summary=booking.symptoms_summary,
        state=ConsultationState(booking.state),
        created_at=booking.created_at,
    )


def book(
    db: Session,
    *,
    principal: Principal,
    data: BookingIn,
    now: datetime,
    rules: SlotRules = DEFAULT_RULES,
) -> ConsultationOut:
    """Book a slot for the caller; Conflict when the slot is full or they hold a booking."""
    resident_id = _resident(principal)
    _check_slot(data.slot_at, now, rules)
    held = _open_booking(db, resident_id)
    if held is not None and held.slot_at + timedelta(minutes=rules.slot_minutes) <= now:
        # Its slot is over (staff did not mark it done): it no longer holds the resident back.
        held.open_resident_id = None
        db.flush()
    elif held is not None:
        raise AlreadyBooked("you already have a booked consultation: cancel it to book another")
    for seat in range(1, rules.capacity + 1):
        booking = Consultation(
            resident_id=resident_id,
            open_resident_id=resident_id,
            slot_at=data.slot_at,
            seat=seat,
            symptoms_summary=data.symptoms_summary,
            state=ConsultationState.BOOKED.value,
            created_at=now,
            updated_at=now,
        )
        try:
            with db.begin_nested():  # a savepoint: the unique constraints decide a race
                db.add(booking)
                db.flush()
        except IntegrityError:
            if _open_booking(db, resident_id) is not None:  # a concurrent request of theirs
                raise AlreadyBooked(
                    "you already have a booked consultation: cancel it to book another"
                ) from None
            continue  # someone else took this seat: try the next
        audit.record(
            db,
            actor=principal,
            action="create",
            entity=ENTITY,
            entity_id=booking.id,
            purpose="online consultation",
            detail={"slot_at": data.slot_at.isoformat()},
        )
        return _out(booking)
    raise SlotFull("this slot is fully booked: choose another")


def list_mine(db: Session, *, principal: Principal) -> list[ConsultationOut]:
    """The caller's bookings, latest slot first."""
    resident_id = _resident(principal)
    rows = db.scalars(
        select(Consultation)
        .where(Consultation.resident_id == resident_id)
        .order_by(Consultation.slot_at.desc(), Consultation.id.desc())
        .limit(MAX_PAGE)
    )
    return [_out(booking) for booking in rows]


def cancel(
    db: Session, *, principal: Principal, consultation_id: int, now: datetime
) -> ConsultationOut:
    """Cancel one of the caller's own booked consultations; its seat is freed."""
    resident_id = _resident(principal)
    booking = db.get(Consultation, consultation_id)
    if booking is None or booking.resident_id != resident_id:
        raise NotFound(f"you have no consultation {consultation_id}")
    if booking.state != ConsultationState.BOOKED.value:
        raise Conflict(f"consultation {consultation_id} is {booking.state}, not booked")
    booking.state = ConsultationState.CANCELLED.value
    booking.seat = booking.open_resident_id = None
    booking.updated_at = now
    audit.record(
        db, actor=principal, action="cancel", entity=ENTITY, entity_id=booking.id,
        purpose="online consultation",
    )  # fmt: skip
    db.flush()
    return _out(booking)


def list_for_staff(
    db: Session,
    *,
    principal: Principal,
    day: date,
    purpose: str,
    state: ConsultationState | None = None,
) -> list[ConsultationStaffOut]:
    """Bookings of a local day of residents in the caller's division, by slot; audited."""
    start = datetime.combine(day, time.min, LOCAL_TIME)
    query = (
        select(Consultation, Resident.name_masked)
        .join(Resident, Resident.id == Consultation.resident_id)
        .join(Division, Division.id == Resident.division_id)
        .where(
            Consultation.slot_at >= start,
            Consultation.slot_at < start + timedelta(days=1),
            Division.path.startswith(principal.division_path, autoescape=True),
        )
        .order_by(Consultation.slot_at, Consultation.id)
        .limit(MAX_PAGE)
    )
    if state is not None:
        query = query.where(Consultation.state == state.value)
    rows = db.execute(query).all()
    audit.record(
        db,
        actor=principal,
        action="list",
        entity=ENTITY,
        purpose=purpose or "online consultations",
        detail={"day": day.isoformat(), "count": len(rows)},
    )
    return [
        ConsultationStaffOut(
            **_out(booking).model_dump(),
            resident_id=booking.resident_id,
            name_masked=name,
            handled_by=booking.handled_by,
        )
        for booking, name in rows
    ]


def mark_done(
    db: Session, *, principal: Principal, consultation_id: int, now: datetime
) -> ConsultationOut:
    """Mark a booked consultation of a resident in the caller's division as done."""
    row = db.execute(
        select(Consultation, Division.path)
        .join(Resident, Resident.id == Consultation.resident_id)
        .join(Division, Division.id == Resident.division_id)
        .where(Consultation.id == consultation_id)
    ).first()
    if row is None:
        raise NotFound(f"consultation {consultation_id} does not exist")
    booking, path = row
    if not principal.covers(path):
        raise AccessDenied(
            f"consultation {consultation_id} is of a resident outside your scope",
            action=str(Permission.CONSULT_MANAGE),
            entity=ENTITY,
            entity_id=str(consultation_id),
        )
    if booking.state != ConsultationState.BOOKED.value:
        raise Conflict(f"consultation {consultation_id} is {booking.state}, not booked")
    booking.state = ConsultationState.DONE.value
    # The seat stays taken (the slot was used); the resident may book again.
    booking.open_resident_id = None
    booking.handled_by, booking.updated_at = principal.username, now
    audit.record(
        db, actor=principal, action="done", entity=ENTITY, entity_id=booking.id,
        purpose="online consultation",
    )  # fmt: skip
    db.flush()
    return _out(booking)

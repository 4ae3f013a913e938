"""Pickup at the pharmacy counter: a code is good once, at its pharmacy, in its window.

Every attempt is audited, refused ones too (a code tried at the wrong counter is worth knowing),
so the service answers with an outcome instead of raising and the route commits either way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput, NotFound
from epicontrol.core.i18n import gettext as _
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident
from epicontrol.places.models import Place, PlaceKind
from epicontrol.supplies import codes
from epicontrol.supplies.models import MaskReservation, MaskRound, ReservationStatus
from epicontrol.supplies.schemas import PickupOut

# Outcome -> HTTP status of the API's answer.
STATUS = {
    "collected": 200,
    "unknown_code": 404,
    "already_collected": 409,
    "wrong_pharmacy": 409,
    "outside_window": 409,
}


def counter_place(db: Session, *, principal: Principal, place_id: int | None) -> Place:
    """The pharmacy the caller hands masks out at: their post, or one they name in their area."""
    wanted = principal.place_id if principal.place_id is not None else place_id
    if wanted is None:
        raise InvalidInput(_("Choose the pharmacy you are handing masks out at."))
    if principal.place_id is not None and place_id not in (None, principal.place_id):
        raise InvalidInput(_("You are posted at another pharmacy."))
    found = db.execute(
        select(Place, Division.path)
        .join(Division, Division.id == Place.division_id)
        .where(Place.id == wanted)
    ).first()
    if found is None or (principal.place_id is None and not principal.covers(found[1])):
        raise NotFound(_("No such pharmacy in your area."))
    if found[0].kind != PlaceKind.PHARMACY.value:
        raise InvalidInput(_("Masks are handed out only at pharmacies."))
    return found[0]


def pharmacies_in_scope(db: Session, *, principal: Principal) -> list[Place]:
    """Pharmacies a counter user may choose from (just their post, if they have one)."""
    query = select(Place).where(Place.kind == PlaceKind.PHARMACY.value)
    if principal.place_id is not None:
        query = query.where(Place.id == principal.place_id)
    else:
        query = query.join(Division, Division.id == Place.division_id).where(
            Division.path.startswith(principal.division_path)
        )
    return list(db.scalars(query.order_by(Place.name).limit(500)))


def dispense(
    db: Session, *, principal: Principal, typed_code: str, place: Place, now: datetime
) -> PickupOut:
    """Hand out the masks of `typed_code` at `place` if it may be; audited either way."""
    code = codes.normalise(typed_code)
    outcome = _try(db, principal=principal, code=code, place=place, now=now)
    audit.record(
        db,
        actor=principal,
        action="dispense",
        entity="mask_reservation",
        entity_id=outcome.reservation_id,
        outcome="allowed" if outcome.ok else "refused",
        detail={"place_id": place.id, "reason": outcome.reason},
    )
    return outcome


def _try(db: Session, *, principal: Principal, code: str, place: Place, now: datetime) -> PickupOut:
    candidates = list(
        db.execute(
            select(MaskReservation, MaskRound)
            .join(MaskRound, MaskRound.id == MaskReservation.round_id)
            .where(MaskReservation.pickup_code == code)
            .order_by(MaskRound.pickup_ends_at.desc())
        )
    )
    if len(code) != codes.LENGTH or not candidates:
        return PickupOut(
            ok=False, reason="unknown_code", message=_("No reservation has this code.")
        )
    here = [(r, rd) for r, rd in candidates if r.place_id == place.id]
    if not here:
        other = db.get(Place, candidates[0][0].place_id)
        return PickupOut(
            ok=False,
            reason="wrong_pharmacy",
            reservation_id=candidates[0][0].id,
            pharmacy=other.name if other else None,
            message=_(
                "This code is for another pharmacy: %(name)s.", name=other.name if other else ""
            ),
        )
    current = [(r, rd) for r, rd in here if rd.pickup_starts_at <= now < rd.pickup_ends_at]
    reservation, round_ = (current or here)[0]
    if reservation.status == ReservationStatus.COLLECTED.value:
        return _already(reservation)
    if not current:
        return PickupOut(
            ok=False,
            reason="outside_window",
            reservation_id=reservation.id,
            message=_(
                "Pickup is from %(start)s to %(end)s.",
                start=_local(round_.pickup_starts_at),
                end=_local(round_.pickup_ends_at),
            ),
        )
    return _collect(db, principal=principal, reservation=reservation, place=place, now=now)


def _collect(
    db: Session, *, principal: Principal, reservation: MaskReservation, place: Place, now: datetime
) -> PickupOut:
    # Conditional: of two counters scanning the same code at once, one hands the masks out.
    done = db.execute(
        update(MaskReservation)
        .where(
            MaskReservation.id == reservation.id,
            MaskReservation.status == ReservationStatus.CONFIRMED.value,
        )
        .values(
            status=ReservationStatus.COLLECTED.value,
            collected_at=now,
            collected_by=principal.user_id,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(reservation)
        return _already(reservation)
    name = db.scalar(select(Resident.name_masked).where(Resident.id == reservation.resident_id))
    return PickupOut(
        ok=True,
        reason="collected",
        reservation_id=reservation.id,
        masks=reservation.masks,
        name_masked=name,
        pharmacy=place.name,
        collected_at=now,
        message=_("Hand out %(n)s masks.", n=reservation.masks),
    )


def _already(reservation: MaskReservation) -> PickupOut:
    when = _local(reservation.collected_at) if reservation.collected_at else ""
    return PickupOut(
        ok=False,
        reason="already_collected",
        reservation_id=reservation.id,
        collected_at=reservation.collected_at,
        message=_("These masks were already collected at %(when)s.", when=when),
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")

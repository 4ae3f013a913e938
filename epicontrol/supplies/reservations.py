"""A resident's orders: rounds open to their household, one reservation per household per round.

Two guards keep concurrent orders honest on SQLite and PostgreSQL alike. The round's supply
counter is raised by one conditional UPDATE (`reserved + n <= supply`), which also takes the
round's row lock, so orders of a round queue behind each other for a few milliseconds and the
counter can never pass the supply; the unique (round, household) constraint refuses a second
reservation of the same household even when its members press the button at the same moment.
On SQLite the UPDATE is the transaction's first write, taken with the busy timeout's wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import Conflict, InvalidInput, NotFound
from epicontrol.core.i18n import current_language
from epicontrol.core.i18n import gettext as _
from epicontrol.divisions.models import Division
from epicontrol.people.models import Household
from epicontrol.places.models import Place
from epicontrol.supplies import codes
from epicontrol.supplies.models import (
    Allocation,
    MaskReservation,
    MaskRound,
    ReservationStatus,
    RoundPharmacy,
)
from epicontrol.supplies.rounds import describe, pharmacies_of
from epicontrol.supplies.schemas import PharmacyOut, ReservationOut, RoundOut


@dataclass(frozen=True, slots=True)
class Order:
    """What a resident asks for: masks of a round, at one of its pharmacies."""

    round_id: int
    place_id: int
    masks: int | None = None  # the household's full quota when not given


def household_division_path(db: Session, principal: Principal) -> str:
    """The division path of the caller's household; 422 for a login without one."""
    if principal.household_id is None:
        raise InvalidInput(_("Your account is not linked to a household."))
    path = db.scalar(
        select(Division.path)
        .join(Household, Household.division_id == Division.id)
        .where(Household.id == principal.household_id)
    )
    if path is None:
        raise InvalidInput(_("Your account is not linked to a household."))
    return path


def rounds_for_household(db: Session, *, principal: Principal, now: datetime) -> list[RoundOut]:
    """Rounds of the household's division (or above) that take orders now or still will."""
    path = household_division_path(db, principal)
    ancestors = [int(part) for part in path.strip("/").split("/") if part]
    query = (
        select(MaskRound)
        .where(MaskRound.division_id.in_(ancestors), MaskRound.closes_at > now)
        .order_by(MaskRound.closes_at, MaskRound.id)
    )
    return describe(db, list(db.scalars(query)))


def reserve(db: Session, *, principal: Principal, order: Order, now: datetime) -> MaskReservation:
    """Reserve (first come) or apply (lottery) for the caller's household; the caller commits."""
    path = household_division_path(db, principal)
    round_ = _round_covering(db, order.round_id, path)
    _check_order(db, round_, order, now)
    masks = order.masks or round_.masks_per_household
    household_id = principal.household_id
    assert household_id is not None  # household_division_path refused a login without one
    if _household_has_one(db, round_.id, household_id):
        raise Conflict(_("Your household already has a reservation in this round."))
    first_come = round_.allocation == Allocation.FIRST_COME.value
    _take_supply(db, round_.id, masks if first_come else 0)
    reservation = MaskReservation(
        round_id=round_.id,
        household_id=household_id,
        resident_id=principal.resident_id,
        place_id=order.place_id,
        masks=masks,
        status=(ReservationStatus.CONFIRMED if first_come else ReservationStatus.APPLIED).value,
        pickup_code=_fresh_code(db, round_.id) if first_come else None,
        created_at=now,
    )
    db.add(reservation)
    try:
        db.flush()
    except IntegrityError as clash:
        # A household member's order committed between our check and our insert.
        raise Conflict(_("Your household already has a reservation in this round.")) from clash
    audit.record(
        db,
        actor=principal,
        action="reserve",
        entity="mask_reservation",
        entity_id=reservation.id,
        detail={"round_id": round_.id, "masks": masks, "status": reservation.status},
    )
    return reservation


def _round_covering(db: Session, round_id: int, household_path: str) -> MaskRound:
    found = db.execute(
        select(MaskRound, Division.path)
        .join(Division, Division.id == MaskRound.division_id)
        .where(MaskRound.id == round_id)
    ).first()
    if found is None or not household_path.startswith(found[1]):
        raise NotFound(_("No such mask round for your household."))
    return found[0]


def _check_order(db: Session, round_: MaskRound, order: Order, now: datetime) -> None:
    if now < round_.opens_at:
        raise InvalidInput(_("Reservations for this round have not opened yet."))
    if now >= round_.closes_at or round_.drawn_at is not None:
        raise InvalidInput(_("Reservations for this round have closed."))
    if order.masks is not None and not 0 < order.masks <= round_.masks_per_household:
        raise InvalidInput(
            _("Each household may reserve up to %(n)s masks.", n=round_.masks_per_household)
        )
    taking_part = db.scalar(
        select(
            exists().where(
                RoundPharmacy.round_id == round_.id, RoundPharmacy.place_id == order.place_id
            )
        )
    )
    if not taking_part:
        raise InvalidInput(_("Choose one of this round's pharmacies."))


def _household_has_one(db: Session, round_id: int, household_id: int) -> bool:
    return bool(
        db.scalar(
            select(
                exists().where(
                    MaskReservation.round_id == round_id,
                    MaskReservation.household_id == household_id,
                )
            )
        )
    )


def _take_supply(db: Session, round_id: int, masks: int) -> None:
    """Raise the round's counter by `masks` if they are left; refuse once drawn or sold out."""
    taken = db.execute(
        update(MaskRound)
        .where(
            MaskRound.id == round_id,
            MaskRound.drawn_at.is_(None),
            MaskRound.reserved + masks <= MaskRound.supply,
        )
        .values(reserved=MaskRound.reserved + masks)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        drawn = db.scalar(select(MaskRound.drawn_at).where(MaskRound.id == round_id))
        if drawn is not None:
            raise InvalidInput(_("Reservations for this round have closed."))
        raise Conflict(_("Sorry, this round's masks are all reserved."))


def _fresh_code(db: Session, round_id: int) -> str:
    while True:
        code = codes.new_code()
        taken = db.scalar(
            select(
                exists().where(
                    MaskReservation.round_id == round_id, MaskReservation.pickup_code == code
                )
            )
        )
        if not taken:
            return code


def household_reservations(
    db: Session, *, principal: Principal, purpose: str = ""
) -> list[ReservationOut]:
    """The caller's household's reservations, newest first; the read is audited."""
    if principal.household_id is None:
        return []
    rows = db.execute(
        select(MaskReservation, MaskRound)
        .join(MaskRound, MaskRound.id == MaskReservation.round_id)
        .where(MaskReservation.household_id == principal.household_id)
        .order_by(MaskReservation.id.desc())
        .limit(50)
    )
    found = list(rows)
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="mask_reservation",
        entity_id=f"household:{principal.household_id}",
        purpose=purpose or "own mask reservations",
        detail={"count": len(found)},
    )
    places = _places(db, {reservation.place_id for reservation, _round in found})
    return [
        _out(reservation, round_, places[reservation.place_id]) for reservation, round_ in found
    ]


def reservation_out(db: Session, reservation: MaskReservation) -> ReservationOut:
    """One reservation as the API shows it (the answer to the order that made it)."""
    round_ = db.get(MaskRound, reservation.round_id)
    assert round_ is not None  # the foreign key guarantees it
    return _out(reservation, round_, _places(db, {reservation.place_id})[reservation.place_id])


def own_pickup_code(db: Session, *, principal: Principal, reservation_id: int) -> str:
    """The pickup code of one of the caller's household's reservations, or 404."""
    code = db.scalar(
        select(MaskReservation.pickup_code).where(
            MaskReservation.id == reservation_id,
            MaskReservation.household_id == principal.household_id,
        )
    )
    if code is None:
        raise NotFound(_("No pickup code for this reservation."))
    return code


def round_pharmacies(db: Session, round_id: int) -> list[PharmacyOut]:
    """A round's pharmacies."""
    return pharmacies_of(db, [round_id]).get(round_id, [])


def _places(db: Session, ids: set[int]) -> dict[int, PharmacyOut]:
    rows = db.execute(
        select(Place.id, Place.code, Place.name, Place.address).where(Place.id.in_(ids))
    )
    return {pid: PharmacyOut(id=pid, code=c, name=n, address=a) for pid, c, n, a in rows}


def _out(reservation: MaskReservation, round_: MaskRound, pharmacy: PharmacyOut) -> ReservationOut:
    title = round_.title_en if current_language() == "en" else round_.title_zh
    return ReservationOut(
        id=reservation.id,
        round_id=round_.id,
        round_title=title,
        allocation=Allocation(round_.allocation),
        status=ReservationStatus(reservation.status),
        masks=reservation.masks,
        pickup_code=reservation.pickup_code,
        pharmacy=pharmacy,
        pickup_starts_at=round_.pickup_starts_at,
        pickup_ends_at=round_.pickup_ends_at,
        closes_at=round_.closes_at,
        created_at=reservation.created_at,
        collected_at=reservation.collected_at,
    )

"""Venue check-in: a resident scans a place QR with their phone and checks in or out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import insert_ignoring_conflicts
from epicontrol.core.errors import Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.divisions.models import Division
from epicontrol.movements import rules
from epicontrol.movements.models import Direction, Movement, MovementKind
from epicontrol.places.models import Place


@dataclass(frozen=True, slots=True)
class PlaceRef:
    """A place and the path of its division (for scope checks)."""

    id: int
    code: str
    name: str
    kind: str
    address: str
    division_id: int
    division_path: str


@dataclass(frozen=True, slots=True)
class Presence:
    """A resident's check-in state at one place, from their newest check-in record there."""

    last_direction: str | None
    last_at: datetime | None
    auto_checkout_at: datetime | None
    is_checked_in: bool

    @property
    def was_checked_out_automatically(self) -> bool:
        """Checked in, never checked out, and the place's dwell has run out."""
        return self.last_direction == Direction.IN.value and not self.is_checked_in


@dataclass(frozen=True, slots=True)
class CheckinResult:
    """What a check-in or check-out did, and the state afterwards."""

    direction: str
    is_stored: bool
    presence: Presence


def _ref(place: Place, path: str) -> PlaceRef:
    return PlaceRef(
        id=place.id,
        code=place.code,
        name=place.name,
        kind=place.kind,
        address=place.address,
        division_id=place.division_id,
        division_path=path,
    )


def _one_place(db: Session, condition: ColumnElement[bool]) -> PlaceRef | None:
    row = db.execute(
        select(Place, Division.path)
        .join(Division, Division.id == Place.division_id)
        .where(condition)
    ).first()
    return _ref(*row) if row else None


def place_by_code(db: Session, *, code: str) -> PlaceRef:
    """The place a place QR names, or NotFound."""
    found = _one_place(db, Place.code == code)
    if found is None:
        raise NotFound(f"place '{code}' does not exist")
    return found


def place_by_id(db: Session, *, place_id: int) -> PlaceRef:
    """A place by its id, or NotFound."""
    found = _one_place(db, Place.id == place_id)
    if found is None:
        raise NotFound(f"place {place_id} does not exist")
    return found


def presence(db: Session, *, resident_id: int, place: PlaceRef, now: datetime) -> Presence:
    """Whether the resident is checked in at the place now; only check-ins count (gate scans by
    an operator follow their own alternation), and a check-in lapses after the place's dwell."""
    row = db.execute(
        select(Movement.direction, Movement.occurred_at)
        .where(
            Movement.resident_id == resident_id,
            Movement.place_id == place.id,
            Movement.kind == MovementKind.CHECKIN.value,
        )
        .order_by(Movement.occurred_at.desc(), Movement.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return Presence(None, None, None, is_checked_in=False)
    direction, at = row
    if direction != Direction.IN.value:
        return Presence(direction, at, None, is_checked_in=False)
    ends = at + rules.auto_checkout_after(place.kind)
    return Presence(direction, at, ends, is_checked_in=now < ends)


def record(
    db: Session,
    *,
    principal: Principal,
    place: PlaceRef,
    client_uuid: str,
    direction: Direction | None,
    now: datetime,
) -> CheckinResult:
    """Check the caller in or out (the opposite of their state without a direction).

    The uuid comes from the page, so a double tap or a resent form stores one record. Checking
    in while already in, or out while not in, stores nothing: the state is what the user meant.
    """
    resident_id = _resident_of(principal)
    key = _normalised_uuid(client_uuid)
    before = presence(db, resident_id=resident_id, place=place, now=now)
    stored = _stored(db, key=key, resident_id=resident_id, place=place)
    if stored is not None:
        return CheckinResult(stored[1], is_stored=False, presence=before)
    wanted = direction.value if direction else _toggle(before)
    if (wanted == Direction.IN.value) == before.is_checked_in:
        return CheckinResult(wanted, is_stored=False, presence=before)
    row = {
        "client_uuid": key,
        "kind": MovementKind.CHECKIN.value,
        "direction": wanted,
        "resident_id": resident_id,
        "place_id": place.id,
        "occurred_at": now,
        "day": now.date(),
        "received_at": now,
    }
    insert_ignoring_conflicts(db, Movement.__table__, [row], key="client_uuid")
    stored = _stored(db, key=key, resident_id=resident_id, place=place)
    if stored is None:
        raise Conflict("this check-in was not stored; reload the page and try again")
    audit.record(
        db,
        actor=principal,
        action="checkin" if wanted == Direction.IN.value else "checkout",
        entity="movement",
        entity_id=stored[0],
        purpose="venue check-in",
        detail={"place": place.code},
    )
    after = presence(db, resident_id=resident_id, place=place, now=now)
    return CheckinResult(wanted, is_stored=True, presence=after)


def _resident_of(principal: Principal) -> int:
    if principal.resident_id is None:
        raise InvalidInput(
            "只有居民账号可以签到 Only a login linked to a resident can check in at a place"
        )
    return principal.resident_id


def _normalised_uuid(client_uuid: str) -> str:
    try:
        return str(UUID(client_uuid))
    except ValueError:
        raise InvalidInput("the check-in id sent by the page is not a uuid") from None


def _toggle(current: Presence) -> str:
    return Direction.OUT.value if current.is_checked_in else Direction.IN.value


def _stored(db: Session, *, key: str, resident_id: int, place: PlaceRef) -> tuple[int, str] | None:
    """Id and direction of the record already stored under this uuid; a uuid that belongs to
    someone else's record is refused rather than silently reported as theirs."""
    row = db.execute(
        select(Movement.id, Movement.resident_id, Movement.place_id, Movement.direction).where(
            Movement.client_uuid == key
        )
    ).first()
    if row is None:
        return None
    if (row.resident_id, row.place_id) != (resident_id, place.id):
        raise Conflict("this check-in id was already used; reload the page and try again")
    return row.id, row.direction or Direction.IN.value


def local_clock(moment: datetime | None) -> str:
    """HH:MM in local time, for the check-in page ("" when there is no time)."""
    return moment.astimezone(LOCAL_TIME).strftime("%H:%M") if moment else ""

"""Epidemiological investigations (流行病学调查): exposure, symptoms and a travel history that
tracing reads as movements.

Each stay of a travel history is kept as a TravelEntry and also written to the movements table
as an "in" and an "out" record of kind "investigation", with client uuids derived from the
entry. Tracing reads movements of every kind (tracing/store_source.py pairs each "in" with the
next "out" of the same person at the same place, tracing/visits.FROM_EVENTS), so a stay named
by the case overlapping someone's scan at the same place makes them a contact with no change
to tracing. A place named only in free text becomes a venue of its own, found again by the
same name and address, so two cases who name the same shop meet there.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epicontrol.cases import rules
from epicontrol.cases.models import TRACED_STATUSES, Case, Investigation, TravelEntry
from epicontrol.cases.schemas import (
    InvestigationIn,
    InvestigationOut,
    TravelEntryIn,
    TravelEntryOut,
)
from epicontrol.cases.service import MAX_CLOCK_SKEW, CaseChange, get_visible
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import InvalidInput
from epicontrol.movements.models import Direction, Movement
from epicontrol.places.models import Place, PlaceKind

# The movements' kind column is free text (16 characters); this kind marks stays told to an
# investigator rather than scanned, so exports and audits can tell them apart.
MOVEMENT_KIND = "investigation"
FREE_TEXT_PLACE_PREFIX = "INV-"
# Fixed namespace: the uuids of an entry's movements are a pure function of case and entry.
_UUID_NAMESPACE = uuid.UUID("5f0d0c53-8a39-4c61-9d0e-2f4b8f7c1a10")


@dataclass(frozen=True, slots=True)
class _Stay:
    """A travel entry checked and resolved to a place."""

    place_id: int
    place_text: str
    started_at: datetime
    ended_at: datetime
    note: str


def movement_uuid(case_id: int, entry_id: int, direction: str) -> str:
    """The client uuid of the "in" or "out" movement of a travel entry."""
    return str(uuid.uuid5(_UUID_NAMESPACE, f"case:{case_id}:travel:{entry_id}:{direction}"))


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def free_text_place_code(name: str, address: str) -> str:
    """The code of the venue made for a place named in free text (same text, same venue)."""
    key = f"{_normalised(name)}|{_normalised(address)}".encode()
    return FREE_TEXT_PLACE_PREFIX + hashlib.sha256(key).hexdigest()[:16].upper()


def _free_text_place(db: Session, entry: TravelEntryIn, case: Case) -> tuple[int, bool]:
    """The venue for a free-text place (id, whether it was created now)."""
    name = (entry.place_name or "").strip()
    code = free_text_place_code(name, entry.address)
    found = db.scalar(select(Place.id).where(Place.code == code))
    if found is not None:
        return found, False
    # In the case's division: whoever investigates the case has it in scope.
    place = Place(
        code=code,
        name=name,
        kind=PlaceKind.VENUE.value,
        division_id=case.division_id,
        address=entry.address.strip(),
    )
    db.add(place)
    db.flush()
    return place.id, True


def _time_problem(entry: TravelEntryIn, now: datetime) -> str | None:
    if entry.ended_at <= entry.started_at:
        return "ended_at must be after started_at"
    if entry.ended_at - entry.started_at > rules.MAX_STAY:
        hours = int(rules.MAX_STAY.total_seconds() // 3600)
        return f"a stay is at most {hours} hours; enter a longer one day by day"
    if entry.ended_at > now + MAX_CLOCK_SKEW:
        return f"ended_at {entry.ended_at.isoformat()} is in the future"
    if entry.started_at < now - rules.MAX_TRAVEL_HISTORY_AGE:
        return f"started_at is more than {rules.MAX_TRAVEL_HISTORY_AGE.days} days ago"
    return None


def _resolve(
    db: Session, case: Case, travel: list[TravelEntryIn], now: datetime
) -> tuple[list[_Stay], int]:
    """Every entry checked (all problems reported at once) and resolved to a place."""
    codes = sorted({e.place_code for e in travel if e.place_code})
    known: dict[str, int] = {}
    if codes:
        query = select(Place.code, Place.id).where(Place.code.in_(codes))
        known = {code: place_id for code, place_id in db.execute(query)}
    problems: list[str] = []
    for number, entry in enumerate(travel, start=1):
        problem = _time_problem(entry, now)
        if problem is None and entry.place_code and entry.place_code not in known:
            problem = f"no place has the code {entry.place_code!r}"
        if problem:
            problems.append(f"travel entry {number}: {problem}")
    if problems:
        raise InvalidInput("; ".join(problems) + ". Nothing stored.")
    stays: list[_Stay] = []
    created = 0
    for entry in travel:
        if entry.place_code:
            place_id, text = known[entry.place_code], ""
        else:
            place_id, made = _free_text_place(db, entry, case)
            created += made
            text = ", ".join(
                p for p in ((entry.place_name or "").strip(), entry.address.strip()) if p
            )
        stays.append(_Stay(place_id, text[:300], entry.started_at, entry.ended_at, entry.note))
    return stays, created


def _movement(case: Case, entry: TravelEntry, direction: str, now: datetime) -> Movement:
    at = entry.started_at if direction == Direction.IN.value else entry.ended_at
    return Movement(
        client_uuid=movement_uuid(case.id, entry.id, direction),
        kind=MOVEMENT_KIND,
        direction=direction,
        resident_id=case.resident_id,
        place_id=entry.place_id,
        occurred_at=at,
        day=at.astimezone(UTC).date(),  # the store's day is the UTC date (movements/ingest.py)
        received_at=now,
    )


def _replace_travel(db: Session, case: Case, stays: list[_Stay], now: datetime) -> bool:
    """Swap the case's travel entries (and their movements) for `stays`; whether they changed."""
    old = list(db.scalars(select(TravelEntry).where(TravelEntry.case_id == case.id)))
    key = [(s.place_id, s.started_at, s.ended_at) for s in stays]
    if sorted(key) == sorted((e.place_id, e.started_at, e.ended_at) for e in old):
        for entry, stay in zip(sorted(old, key=_order), sorted(stays, key=_order), strict=True):
            entry.place_text, entry.note = stay.place_text, stay.note
        return False
    # Core deletes run at once: a new entry may reuse a deleted id (SQLite) and so its uuids.
    uuids = [movement_uuid(case.id, e.id, d) for e in old for d in ("in", "out")]
    if uuids:
        db.execute(delete(Movement).where(Movement.client_uuid.in_(uuids)))
        db.execute(delete(TravelEntry).where(TravelEntry.case_id == case.id))
    entries = [
        TravelEntry(
            case_id=case.id,
            place_id=s.place_id,
            place_text=s.place_text,
            started_at=s.started_at,
            ended_at=s.ended_at,
            note=s.note,
        )
        for s in stays
    ]
    db.add_all(entries)
    db.flush()
    db.add_all(_movement(case, e, d, now) for e in entries for d in ("in", "out"))
    db.flush()
    return True


def _order(item: TravelEntry | _Stay) -> tuple[datetime, int]:
    return (item.started_at, item.place_id)


def save(
    db: Session, *, principal: Principal, case_id: int, data: InvestigationIn, now: datetime
) -> CaseChange:
    """Create or replace the investigation of a case in the caller's scope; a traced case
    whose travel history changed is traced again."""
    case = get_visible(db, principal=principal, case_id=case_id, action="case:write")
    stays, created = _resolve(db, case, data.travel, now)
    investigation = db.scalar(select(Investigation).where(Investigation.case_id == case.id))
    if investigation is None:
        investigation = Investigation(case_id=case.id, created_at=now)
        db.add(investigation)
    investigation.exposure_summary = data.exposure_summary.strip()
    investigation.symptoms = ",".join(data.symptoms)
    investigation.investigated_by = principal.username
    investigation.updated_at = now
    travel_changed = _replace_travel(db, case, stays, now)
    audit.record(
        db,
        actor=principal,
        action="investigate",
        entity="case",
        entity_id=case.id,
        purpose="epidemiological investigation",
        detail={
            "travel_entries": len(stays),
            "travel_changed": travel_changed,
            "places_created": created,
        },
    )
    db.flush()
    if travel_changed and case.status in TRACED_STATUSES:
        return CaseChange(case, "travel history edited")
    return CaseChange(case)


def travel_of(db: Session, case_ids: list[int]) -> dict[int, list[TravelEntryOut]]:
    """Travel histories of these cases, each in time order (the caller audits the read)."""
    if not case_ids:
        return {}
    rows = db.execute(
        select(TravelEntry, Place)
        .join(Place, Place.id == TravelEntry.place_id)
        .where(TravelEntry.case_id.in_(case_ids))
        .order_by(TravelEntry.case_id, TravelEntry.started_at, TravelEntry.id)
    )
    found: dict[int, list[TravelEntryOut]] = {}
    for entry, place in rows:
        found.setdefault(entry.case_id, []).append(
            TravelEntryOut(
                id=entry.id,
                place_id=place.id,
                place_code=place.code,
                place_name=place.name,
                place_kind=place.kind,
                place_text=entry.place_text,
                address=place.address,
                started_at=entry.started_at,
                ended_at=entry.ended_at,
                note=entry.note,
            )
        )
    return found


def get(
    db: Session, *, principal: Principal, case_id: int, purpose: str
) -> InvestigationOut | None:
    """The investigation of a case in the caller's scope (None if none yet); the read is
    audited, since it tells where a person was and how they are."""
    case = get_visible(db, principal=principal, case_id=case_id)
    investigation = db.scalar(select(Investigation).where(Investigation.case_id == case.id))
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="investigation",
        entity_id=case.id,
        purpose=purpose or f"routine work of {principal.role}",
    )
    if investigation is None:
        return None
    return InvestigationOut(
        case_id=case.id,
        exposure_summary=investigation.exposure_summary,
        symptoms=[s for s in investigation.symptoms.split(",") if s],
        investigated_by=investigation.investigated_by,
        created_at=investigation.created_at,
        updated_at=investigation.updated_at,
        travel=travel_of(db, [case.id]).get(case.id, []),
    )

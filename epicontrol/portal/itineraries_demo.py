"""Demo data for case itineraries: a few of the demo city's cases investigated from their own
recorded stays, drafted by the epidemiologist, approved by the commander; the demo resident
checks in at one published place, so "did I cross paths?" has something to find."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import investigations
from epicontrol.cases.models import TRACED_STATUSES, Case, TravelEntry
from epicontrol.cases.schemas import InvestigationIn, TravelEntryIn
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.errors import Conflict
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.movements.models import Movement
from epicontrol.places.models import Place
from epicontrol.portal import itineraries
from epicontrol.portal.crossed_paths import own_stays
from epicontrol.portal.itineraries_anonymise import PUBLIC_PLACE_KINDS
from epicontrol.portal.itinerary_models import CaseItinerary, ItineraryStop
from epicontrol.tracing.rules import DEFAULT_RULES

MAX_STOPS = 8
_UUID_NAMESPACE = uuid.UUID("0d7c2a61-3f7e-4b1e-9a55-6f1c4e2b8d90")


def _principal(db: Session, role: Role) -> Principal | None:
    user_id = db.scalar(select(User.id).where(User.role == role.value).order_by(User.id))
    return None if user_id is None else load_principal(db, user_id)


def _investigate(db: Session, epidemiologist: Principal, case: Case, now: datetime) -> None:
    """A travel history from the case's own recorded stays at public places (kept if the
    case already has one)."""
    if db.scalar(select(TravelEntry.id).where(TravelEntry.case_id == case.id)) is not None:
        return
    stays = own_stays(db, case.resident_id, now - timedelta(days=14), DEFAULT_RULES)
    codes = dict(
        db.execute(
            select(Place.id, Place.code).where(
                Place.id.in_({s.place_id for s in stays}),
                Place.kind.in_([str(k) for k in PUBLIC_PLACE_KINDS]),
                Place.estate_id.is_(None),
            )
        ).all()
    )
    travel = [
        TravelEntryIn(place_code=codes[s.place_id], started_at=s.started_at, ended_at=s.ended_at)
        for s in stays
        if s.place_id in codes and s.ended_at <= now and s.ended_at > s.started_at
    ][:MAX_STOPS]
    if travel:
        form = InvestigationIn(exposure_summary="demo", travel=travel)
        investigations.save(db, principal=epidemiologist, case_id=case.id, data=form, now=now)


def _cross_paths(db: Session, rng: random.Random, published: list[int], now: datetime) -> None:
    """The demo resident checks in at one published stop, within its time."""
    resident = db.scalar(
        select(User.resident_id)
        .join(Case, Case.resident_id == User.resident_id, isouter=True)
        .where(User.role == Role.RESIDENT.value, Case.id.is_(None))
        .order_by(User.id)
    )
    stops = db.scalars(
        select(ItineraryStop)
        .where(ItineraryStop.itinerary_id.in_(published))
        .order_by(ItineraryStop.id)
    ).all()
    if resident is None or not stops:
        return
    stop = rng.choice(stops)
    start = stop.started_at + timedelta(minutes=10)
    end = min(start + timedelta(minutes=20), now)
    for direction, at in (("in", start), ("out", end)):
        db.add(
            Movement(
                client_uuid=str(uuid.uuid5(_UUID_NAMESPACE, f"{resident}:{stop.id}:{direction}")),
                kind="checkin",
                direction=direction,
                resident_id=resident,
                place_id=stop.place_id,
                occurred_at=at,
                day=at.astimezone(UTC).date(),
                received_at=now,
            )
        )
    db.flush()


def seed_demo(
    db: Session, *, now: datetime | None = None, seed: int = 2020, cases: int = 5
) -> None:
    """Publish itineraries of up to `cases` confirmed or asymptomatic demo cases (lowest ids
    first) that have none yet; the caller commits."""
    now = now or utcnow()
    epidemiologist = _principal(db, Role.EPIDEMIOLOGIST)
    commander = _principal(db, Role.COMMANDER)
    if epidemiologist is None or commander is None:
        return
    has_itinerary = select(CaseItinerary.case_id)
    chosen = db.scalars(
        select(Case)
        .where(Case.status.in_([s.value for s in TRACED_STATUSES]), Case.id.not_in(has_itinerary))
        .order_by(Case.id)
        .limit(cases)
    ).all()
    published = []
    for case in chosen:
        _investigate(db, epidemiologist, case, now)
        draft = itineraries.draft(db, principal=epidemiologist, case_id=case.id, now=now)
        if db.scalar(select(ItineraryStop.id).where(ItineraryStop.itinerary_id == draft.id)):
            try:
                with db.begin_nested():
                    itineraries.approve(db, principal=commander, itinerary_id=draft.id, now=now)
            except Conflict:
                continue  # fewer than k residents share the case's age band and sex: stays a draft
            published.append(draft.id)
    _cross_paths(db, random.Random(seed), published, now)

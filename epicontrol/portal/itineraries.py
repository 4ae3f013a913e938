"""Case itineraries for the public: an epidemiologist drafts one from a case's investigation,
another officer approves and publishes it (four eyes), and it may be withdrawn.

The draft copies only what may be published (itineraries_anonymise.py); the case's name, id,
home and exact birth date never enter these tables. Every step is audited; the routes commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from epicontrol.cases.models import TRACED_STATUSES, Case, TravelEntry
from epicontrol.cases.service import get_visible
from epicontrol.core import audit, kanonymity
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.people.models import Resident
from epicontrol.places.models import Place
from epicontrol.portal import itineraries_anonymise as anonymise
from epicontrol.portal.itinerary_models import (
    CaseItinerary,
    CasePublicNumber,
    ItineraryState,
    ItineraryStop,
)

ENTITY = "itinerary"


def _audit(
    db: Session, principal: Principal, action: str, itinerary: CaseItinerary, **detail: object
) -> None:
    audit.record(
        db,
        actor=principal,
        action=action,
        entity=ENTITY,
        entity_id=itinerary.id,
        purpose="anonymised case itinerary",
        detail={"case_id": itinerary.case_id, "state": itinerary.state, **detail},
    )


def get_in_scope(
    db: Session, *, principal: Principal, itinerary_id: int, action: str
) -> CaseItinerary:
    """The itinerary if its case lies in the caller's division subtree."""
    row = db.execute(
        select(CaseItinerary, Division.path)
        .join(Division, Division.id == CaseItinerary.division_id)
        .where(CaseItinerary.id == itinerary_id)
    ).first()
    if row is None:
        raise NotFound(f"itinerary {itinerary_id} does not exist")
    itinerary, path = row
    if not principal.covers(path):
        raise AccessDenied(
            f"itinerary {itinerary_id} is outside your scope",
            action=action,
            entity=ENTITY,
            entity_id=str(itinerary_id),
        )
    return itinerary


def _public_stops(db: Session, case: Case) -> tuple[list[ItineraryStop], int]:
    """The case's stays at public places as stops (rounded), and how many were left out."""
    rows = db.execute(
        select(TravelEntry, Place)
        .join(Place, Place.id == TravelEntry.place_id)
        .where(TravelEntry.case_id == case.id)
        .order_by(TravelEntry.started_at, TravelEntry.id)
    ).all()
    stops: list[ItineraryStop] = []
    for entry, place in rows:
        texts = [place.name, place.address, entry.place_text, entry.note]
        if anonymise.reveals_home(kind=place.kind, estate_id=place.estate_id, texts=texts):
            continue
        stops.append(
            ItineraryStop(
                place_id=place.id,
                place_name=place.name[:160],
                address=place.address[:300],
                place_kind=place.kind,
                started_at=anonymise.round_down(entry.started_at),
                ended_at=anonymise.round_up(entry.ended_at),
            )
        )
    return stops, len(rows) - len(stops)


def _open_itinerary(db: Session, case_id: int) -> CaseItinerary | None:
    return db.scalar(
        select(CaseItinerary).where(
            CaseItinerary.case_id == case_id,
            CaseItinerary.state != ItineraryState.WITHDRAWN.value,
        )
    )


def draft(db: Session, *, principal: Principal, case_id: int, now: datetime) -> CaseItinerary:
    """Draft the itinerary of a confirmed or asymptomatic case in scope from its travel
    history; an existing draft is drafted again (the investigation may have changed)."""
    case = get_visible(db, principal=principal, case_id=case_id, action="itinerary:draft")
    if case.status not in TRACED_STATUSES:
        raise InvalidInput(
            f"case {case_id} is {case.status}: only confirmed and asymptomatic cases' "
            "itineraries are published"
        )
    itinerary = _open_itinerary(db, case.id)
    if itinerary is not None and itinerary.state == ItineraryState.PUBLISHED:
        raise Conflict(f"case {case_id}'s itinerary is published: withdraw it before redrafting")
    stops, left_out = _public_stops(db, case)
    birth_year, sex = db.execute(
        select(Resident.birth_year, Resident.sex).where(Resident.id == case.resident_id)
    ).one()
    if itinerary is None:
        itinerary = CaseItinerary(case_id=case.id, division_id=case.division_id, created_at=now)
        db.add(itinerary)
    else:
        db.execute(delete(ItineraryStop).where(ItineraryStop.itinerary_id == itinerary.id))
    itinerary.age_band = anonymise.age_band(birth_year, case.report_date)
    itinerary.sex = sex
    itinerary.report_date = case.report_date
    itinerary.left_out = left_out
    itinerary.drafted_by_id, itinerary.edited_by_id = principal.user_id, None
    itinerary.updated_at = now
    db.flush()
    for stop in stops:
        stop.itinerary_id = itinerary.id
    db.add_all(stops)
    db.flush()
    _audit(db, principal, "draft", itinerary, stops=len(stops), left_out=left_out)
    return itinerary


def _draft_in_scope(
    db: Session, principal: Principal, itinerary_id: int, action: str
) -> CaseItinerary:
    itinerary = get_in_scope(db, principal=principal, itinerary_id=itinerary_id, action=action)
    if itinerary.state != ItineraryState.DRAFT:
        raise Conflict(f"itinerary {itinerary_id} is {itinerary.state}, not a draft")
    return itinerary


def remove_stop(
    db: Session, *, principal: Principal, itinerary_id: int, stop_id: int, now: datetime
) -> CaseItinerary:
    """Take one stop out of a draft (a place the reviewer judges identifying, say)."""
    itinerary = _draft_in_scope(db, principal, itinerary_id, "itinerary:draft")
    stop = db.get(ItineraryStop, stop_id)
    if stop is None or stop.itinerary_id != itinerary.id:
        raise NotFound(f"itinerary {itinerary_id} has no stop {stop_id}")
    db.delete(stop)
    itinerary.edited_by_id = principal.user_id
    itinerary.updated_at = now
    db.flush()
    _audit(db, principal, "remove_stop", itinerary, stop_id=stop_id)
    return itinerary


def _public_number(db: Session, case_id: int) -> int:
    """The case's public number: its earlier one, else the next free one (a concurrent
    approval taking the same number is retried inside a savepoint)."""
    for _attempt in range(5):
        found = db.scalar(
            select(CasePublicNumber.number).where(CasePublicNumber.case_id == case_id)
        )
        if found is not None:
            return found
        number = (db.scalar(select(func.max(CasePublicNumber.number))) or 0) + 1
        try:
            with db.begin_nested():
                db.add(CasePublicNumber(case_id=case_id, number=number))
            return number
        except IntegrityError:
            continue
    raise Conflict("could not number the case: try again")


def _release_area(db: Session, division_id: int) -> Division:
    """The population an itinerary is published for: the city holding the case's division (the
    public portal is the city's; no home area is published), else the tree's top."""
    path = db.scalar(select(Division.path).where(Division.id == division_id)) or "/"
    ids = [int(part) for part in path.strip("/").split("/") if part]
    above = {d.id: d for d in db.scalars(select(Division).where(Division.id.in_(ids)))}
    chain = [above[i] for i in ids if i in above]
    city = [d for d in chain if d.level == DivisionLevel.CITY.value]
    return (city or chain)[0]


def _sharing(db: Session, area: Division, sex: str, age: int, year: int, width: int | None) -> int:
    """Residents of `area` with `sex` whose age in `year` falls in the case's band of `width`
    years (any age when None)."""
    query = (
        select(func.count(Resident.id))
        .join(Division, Division.id == Resident.division_id)
        .where(Division.path.startswith(area.path, autoescape=True), Resident.sex == sex)
    )
    if width is not None:
        lowest, highest = kanonymity.age_bounds(age, width)
        query = query.where(Resident.birth_year <= year - lowest)
        if highest is not None:
            query = query.where(Resident.birth_year >= year - highest)
    return db.scalar(query) or 0


def _check_k_anonymity(db: Session, itinerary: CaseItinerary) -> None:
    """Refuse (409) an itinerary whose published age band and sex fewer than k residents of the
    city share: with the places and times, they could point at one person. The table stores
    10-year bands only, so a wider band that would do is named, not published."""
    birth_year = db.scalar(
        select(Resident.birth_year)
        .join(Case, Case.resident_id == Resident.id)
        .where(Case.id == itinerary.case_id)
    )
    if birth_year is None:
        return
    year, k = itinerary.report_date.year, kanonymity.privacy_k()
    age, area = max(year - birth_year, 0), _release_area(db, itinerary.division_id)
    levels = kanonymity.ladder(areas=["city"])

    def count(level: kanonymity.Level) -> int:
        return _sharing(db, area, itinerary.sex, age, year, level.age_width)

    found = kanonymity.first_safe_level(levels, count, k)
    if found is not None and found[0] == levels[0]:
        return
    shared = count(levels[0])
    message = (
        f"k-anonymity: only {shared} residents of {area.name} share this case's age band "
        f"{kanonymity.age_band(age, levels[0].age_width)} and sex (k = {k}); publishing it "
        "could identify the person"
    )
    if found is None:
        raise Conflict(f"{message}, and even its sex alone is shared by fewer than {k}")
    level, size = found
    wider = kanonymity.age_band(age, level.age_width)
    raise Conflict(
        f"{message}. A release with {', '.join(level.describe())} ({wider}) would be shared by "
        f"{size}, but itineraries publish 10-year bands: it stays a draft"
    )


def approve(
    db: Session, *, principal: Principal, itinerary_id: int, now: datetime
) -> CaseItinerary:
    """Publish a draft; its drafter or last editor may not (four eyes)."""
    itinerary = _draft_in_scope(db, principal, itinerary_id, "itinerary:approve")
    if principal.user_id in (itinerary.drafted_by_id, itinerary.edited_by_id):
        raise AccessDenied(
            "four eyes: an itinerary is approved by an officer who neither drafted nor edited it",
            action="itinerary:approve",
            entity=ENTITY,
            entity_id=str(itinerary.id),
        )
    stops = db.scalar(select(func.count()).where(ItineraryStop.itinerary_id == itinerary.id))
    if not stops:
        raise InvalidInput("the itinerary has no public place: there is nothing to publish")
    _check_k_anonymity(db, itinerary)
    itinerary.public_number = _public_number(db, itinerary.case_id)
    itinerary.state = ItineraryState.PUBLISHED.value
    itinerary.approved_by_id = principal.user_id
    itinerary.published_at = itinerary.updated_at = now
    db.flush()
    _audit(db, principal, "approve", itinerary, public_number=itinerary.public_number)
    return itinerary


def withdraw(
    db: Session, *, principal: Principal, itinerary_id: int, reason: str, now: datetime
) -> CaseItinerary:
    """Take a published itinerary down, saying why."""
    itinerary = get_in_scope(
        db, principal=principal, itinerary_id=itinerary_id, action="itinerary:approve"
    )
    if itinerary.state != ItineraryState.PUBLISHED:
        raise Conflict(f"itinerary {itinerary_id} is {itinerary.state}, not published")
    if len(reason.strip()) < 2:
        raise InvalidInput("say why the itinerary is withdrawn")
    itinerary.state = ItineraryState.WITHDRAWN.value
    itinerary.withdrawn_by_id = principal.user_id
    itinerary.withdraw_reason = reason.strip()[:300]
    itinerary.withdrawn_at = itinerary.updated_at = now
    db.flush()
    _audit(db, principal, "withdraw", itinerary, reason=itinerary.withdraw_reason)
    return itinerary

"""Did I cross paths with a case? (同行程查询): the resident's OWN records of the last 14 days
against the published itineraries.

A match is the same place and either overlapping times, or the resident arriving within an
hour after the case left (CROSSING_WINDOW): published times are rounded to the half hour, and
the air of a closed room carries the virus for a while after someone leaves. Arriving before
and leaving before the case came is no match. Nobody else's records are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.local_time import local_date
from epicontrol.movements.models import Movement
from epicontrol.places.models import Place
from epicontrol.portal.itineraries_read import case_label
from epicontrol.portal.itinerary_models import CaseItinerary, ItineraryState, ItineraryStop
from epicontrol.portal.travel import WINDOW, own_resident_id
from epicontrol.tracing.rules import TracingRules

CROSSING_WINDOW = timedelta(hours=1)
# China NHC: medical observation for 14 days after the last exposure.
WATCH_DAYS = 14
OVERLAP = "overlap"
AFTER = "after"  # arrived within CROSSING_WINDOW after the case left


@dataclass(frozen=True, slots=True)
class Stay:
    """A stay of the resident at a place, paired from their in/out records."""

    place_id: int
    started_at: datetime
    ended_at: datetime
    is_estimated: bool  # no check-out recorded: the place kind's usual stay


class CrossingOut(BaseModel):
    """One published stop the resident's stay met."""

    case_label: str
    case_number: int
    place_name: str
    address: str
    case_started_at: datetime
    case_ended_at: datetime
    my_started_at: datetime
    my_ended_at: datetime
    kind: str  # OVERLAP or AFTER
    watch_until: date  # 14 days after the exposure (China date)


class CrossedPathsOut(BaseModel):
    """The answer: matches (possibly none) over the records of the window."""

    since: datetime
    checked_stays: int
    matches: list[CrossingOut]


def _pair(records: list[tuple[int, datetime, str | None, str]], rules: TracingRules) -> list[Stay]:
    """Each "in" with the next record at the same place, as tracing pairs them (an "out" ends
    the stay, anything else leaves it at the place kind's usual stay); a lone "out" is a usual
    stay ending there; a record without a direction counts as an "in"."""
    stays: list[Stay] = []
    open_in: dict[int, tuple[datetime, str]] = {}
    for place_id, at, direction, kind in records:  # in time order
        started = open_in.pop(place_id, None)
        if started is not None:
            start, start_kind = started
            if direction == "out":
                end = min(at, start + timedelta(seconds=rules.max_stay_s))
                stays.append(Stay(place_id, start, end, False))
                continue
            stays.append(_estimated(place_id, start, start_kind, rules))
        if direction == "out":
            stays.append(Stay(place_id, at - timedelta(seconds=rules.dwell_s(kind)), at, True))
        else:
            open_in[place_id] = (at, kind)
    stays.extend(_estimated(p, start, kind, rules) for p, (start, kind) in open_in.items())
    return stays


def _estimated(place_id: int, start: datetime, kind: str, rules: TracingRules) -> Stay:
    return Stay(place_id, start, start + timedelta(seconds=rules.dwell_s(kind)), True)


def own_stays(db: Session, resident_id: int, since: datetime, rules: TracingRules) -> list[Stay]:
    """The resident's stays since `since` (records from a day earlier are read, so a stay
    begun before the window still pairs)."""
    rows = db.execute(
        select(Movement.place_id, Movement.occurred_at, Movement.direction, Place.kind)
        .join(Place, Place.id == Movement.place_id)
        .where(
            Movement.resident_id == resident_id,
            Movement.occurred_at >= since - timedelta(seconds=rules.max_stay_s),
        )
        .order_by(Movement.occurred_at, Movement.id)
    ).all()
    # At the same second an "in" goes before an "out", so a zero-length stay still pairs.
    records = sorted(
        ((p, at.astimezone(UTC), d, k) for p, at, d, k in rows),
        key=lambda r: (r[1], r[2] == "out"),
    )
    return [s for s in _pair(records, rules) if s.ended_at >= since]


def _crossing(stay: Stay, start: datetime, end: datetime) -> str | None:
    if stay.started_at < end and start < stay.ended_at:
        return OVERLAP
    if end <= stay.started_at <= end + CROSSING_WINDOW:
        return AFTER
    return None


def check(
    db: Session, *, principal: Principal, now: datetime, rules: TracingRules
) -> CrossedPathsOut:
    """Match the caller's own stays of the last 14 days with published stops; audited."""
    resident_id = own_resident_id(principal)
    since = now - WINDOW
    stays = own_stays(db, resident_id, since, rules)
    by_place: dict[int, list[Stay]] = {}
    for stay in stays:
        by_place.setdefault(stay.place_id, []).append(stay)
    matches: list[CrossingOut] = []
    if by_place:
        rows = db.execute(
            select(ItineraryStop, CaseItinerary.public_number)
            .join(CaseItinerary, CaseItinerary.id == ItineraryStop.itinerary_id)
            .join(Case, Case.id == CaseItinerary.case_id)
            .where(
                CaseItinerary.state == ItineraryState.PUBLISHED.value,
                ItineraryStop.place_id.in_(sorted(by_place)),
                ItineraryStop.ended_at >= since - CROSSING_WINDOW,
                Case.resident_id != resident_id,  # one's own itinerary is no news
            )
        ).all()
        for stop, number in rows:
            matches.extend(_matches(stop, number or 0, by_place[stop.place_id]))
    matches.sort(key=lambda m: m.my_started_at, reverse=True)
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="movements",
        entity_id=resident_id,
        purpose="crossed paths with a case: own records",
        detail={"stays": len(stays), "matches": len(matches)},
    )
    return CrossedPathsOut(since=since, checked_stays=len(stays), matches=matches)


def _matches(stop: ItineraryStop, number: int, stays: list[Stay]) -> list[CrossingOut]:
    found = []
    for stay in stays:
        kind = _crossing(stay, stop.started_at, stop.ended_at)
        if kind is None:
            continue
        exposed = min(stay.ended_at, stop.ended_at + CROSSING_WINDOW)
        found.append(
            CrossingOut(
                case_label=case_label(number),
                case_number=number,
                place_name=stop.place_name,
                address=stop.address,
                case_started_at=stop.started_at,
                case_ended_at=stop.ended_at,
                my_started_at=stay.started_at,
                my_ended_at=stay.ended_at,
                kind=kind,
                watch_until=local_date(exposed) + timedelta(days=WATCH_DAYS),
            )
        )
    return found

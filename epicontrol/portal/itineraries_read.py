"""Reading itineraries: published ones for the public, all states for staff in scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Exists, exists, func, or_, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import TRACED_STATUSES, Case
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.i18n import gettext as _
from epicontrol.core.models import User
from epicontrol.divisions.models import Division
from epicontrol.portal.itineraries import ENTITY, get_in_scope
from epicontrol.portal.itineraries_anonymise import OLDEST_BAND
from epicontrol.portal.itineraries_schemas import (
    PublicItineraryOut,
    PublicItineraryPage,
    PublicStopOut,
    StaffItineraryOut,
    StopOut,
    age_band_label,
)
from epicontrol.portal.itinerary_models import CaseItinerary, ItineraryState, ItineraryStop

PAGE = 20
MAX_PAGE = 100


def case_label(number: int) -> str:
    """ "病例12" / "Case 12" in the request's language."""
    return _("Case %(number)s", number=number)


def _stops(db: Session, itinerary_ids: Sequence[int]) -> dict[int, list[ItineraryStop]]:
    found: dict[int, list[ItineraryStop]] = {i: [] for i in itinerary_ids}
    if itinerary_ids:
        query = (
            select(ItineraryStop)
            .where(ItineraryStop.itinerary_id.in_(itinerary_ids))
            .order_by(ItineraryStop.started_at, ItineraryStop.id)
        )
        for stop in db.scalars(query):
            found[stop.itinerary_id].append(stop)
    return found


def _place_filter(place: str) -> Exists:
    pattern = f"%{place.strip().casefold()}%"
    return exists().where(
        ItineraryStop.itinerary_id == CaseItinerary.id,
        or_(
            func.lower(ItineraryStop.place_name).like(pattern),
            func.lower(ItineraryStop.address).like(pattern),
        ),
    )


def public_page(
    db: Session, *, place: str = "", offset: int = 0, limit: int = PAGE
) -> PublicItineraryPage:
    """Published itineraries, newest publication first, optionally those naming a place."""
    query = select(CaseItinerary).where(CaseItinerary.state == ItineraryState.PUBLISHED.value)
    if place.strip():
        query = query.where(_place_filter(place))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.scalars(
            query.order_by(CaseItinerary.published_at.desc(), CaseItinerary.id.desc())
            .offset(max(offset, 0))
            .limit(min(max(limit, 1), MAX_PAGE))
        )
    )
    stops = _stops(db, [r.id for r in rows])
    items = [
        PublicItineraryOut(
            number=r.public_number or 0,
            label=case_label(r.public_number or 0),
            age_band=age_band_label(r.age_band, OLDEST_BAND),
            sex=r.sex,
            report_date=r.report_date,
            published_at=r.published_at or r.updated_at,
            stops=[PublicStopOut.model_validate(s, from_attributes=True) for s in stops[r.id]],
        )
        for r in rows
    ]
    return PublicItineraryPage(total=total, offset=max(offset, 0), items=items)


def _usernames(db: Session, rows: Sequence[CaseItinerary]) -> dict[int, str]:
    ids = {
        i
        for r in rows
        for i in (r.drafted_by_id, r.edited_by_id, r.approved_by_id, r.withdrawn_by_id)
        if i is not None
    }
    if not ids:
        return {}
    query = select(User.id, User.username).where(User.id.in_(ids))
    return {user_id: name for user_id, name in db.execute(query)}


def _staff_out(
    rows: Sequence[CaseItinerary],
    numbers: dict[int, str],
    names: dict[int, str],
    stops: dict[int, list[ItineraryStop]],
) -> list[StaffItineraryOut]:
    def name(user_id: int | None) -> str | None:
        return None if user_id is None else names.get(user_id, str(user_id))

    return [
        StaffItineraryOut(
            id=r.id,
            case_id=r.case_id,
            case_number=numbers.get(r.case_id, ""),
            state=r.state,
            public_number=r.public_number,
            age_band=age_band_label(r.age_band, OLDEST_BAND),
            sex=r.sex,
            report_date=r.report_date,
            left_out=r.left_out,
            drafted_by=name(r.drafted_by_id) or "",
            edited_by=name(r.edited_by_id),
            approved_by=name(r.approved_by_id),
            withdrawn_by=name(r.withdrawn_by_id),
            withdraw_reason=r.withdraw_reason,
            created_at=r.created_at,
            published_at=r.published_at,
            withdrawn_at=r.withdrawn_at,
            stops=[StopOut.model_validate(s, from_attributes=True) for s in stops[r.id]],
        )
        for r in rows
    ]


def _case_numbers(db: Session, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    query = select(Case.id, Case.case_number).where(Case.id.in_(case_ids))
    return {case_id: number for case_id, number in db.execute(query)}


def staff_list(db: Session, *, principal: Principal, limit: int = 200) -> list[StaffItineraryOut]:
    """Itineraries of cases in the caller's subtree, drafts first, then newest."""
    rows = list(
        db.scalars(
            select(CaseItinerary)
            .join(Division, Division.id == CaseItinerary.division_id)
            .where(Division.path.startswith(principal.division_path, autoescape=True))
            .order_by(
                (CaseItinerary.state == ItineraryState.DRAFT.value).desc(),
                CaseItinerary.updated_at.desc(),
                CaseItinerary.id.desc(),
            )
            .limit(min(limit, 500))
        )
    )
    numbers = _case_numbers(db, {r.case_id for r in rows})
    return _staff_out(rows, numbers, _usernames(db, rows), _stops(db, [r.id for r in rows]))


def staff_detail(db: Session, *, principal: Principal, itinerary_id: int) -> StaffItineraryOut:
    """One itinerary in scope, whatever its state; the read is audited (drafts are unpublished
    data about a person)."""
    row = get_in_scope(db, principal=principal, itinerary_id=itinerary_id, action="itinerary:read")
    audit.record(
        db,
        actor=principal,
        action="read",
        entity=ENTITY,
        entity_id=row.id,
        purpose="review of an anonymised case itinerary",
    )
    numbers = _case_numbers(db, {row.case_id})
    [out] = _staff_out([row], numbers, _usernames(db, [row]), _stops(db, [row.id]))
    return out


def draftable_cases(db: Session, *, principal: Principal, limit: int = 50) -> list[tuple[int, str]]:
    """(id, case number) of confirmed and asymptomatic cases in scope without an open
    itinerary, newest report first."""
    open_itinerary = exists().where(
        CaseItinerary.case_id == Case.id,
        CaseItinerary.state != ItineraryState.WITHDRAWN.value,
    )
    query = (
        select(Case.id, Case.case_number)
        .join(Division, Division.id == Case.division_id)
        .where(
            Division.path.startswith(principal.division_path, autoescape=True),
            Case.status.in_([s.value for s in TRACED_STATUSES]),
            ~open_itinerary,
        )
        .order_by(Case.report_date.desc(), Case.id.desc())
        .limit(limit)
    )
    return [(case_id, number) for case_id, number in db.execute(query)]

"""Contacts as staff read them: who may see which, lists by case or division, one contact.

A contact is visible to staff whose division covers where the contact lives (community officers
and grid workers follow them up there) and to case readers whose division covers the case
(the epidemiologists investigating it). Every read is audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from epicontrol.cases import service as cases
from epicontrol.cases.models import Case
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, NotFound
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident
from epicontrol.places.models import Place
from epicontrol.tracing.follow_ups import follow_up_status
from epicontrol.tracing.models import Contact, ContactExposure, FollowUp
from epicontrol.tracing.schemas import ContactOut, ExposureOut, FollowUpOut, FollowUpStatusOut

MAX_PAGE = 1000
AnySelect = Select[*tuple[Any, ...]]
_ContactDivision = aliased(Division)
_CaseDivision = aliased(Division)


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A contact with what scoping and lists need from its resident, case and divisions."""

    contact: Contact
    name_masked: str
    case_number: str
    contact_path: str
    case_path: str


def may_see(principal: Principal, *, contact_path: str, case_path: str) -> bool:
    """Whether the caller follows this contact up (lives in scope) or investigates its case."""
    reads_cases = is_allowed(principal.role, Permission.CASE_READ)
    return principal.covers(contact_path) or (reads_cases and principal.covers(case_path))


def _rows(query: AnySelect) -> AnySelect:
    return (
        query.join(Resident, Resident.id == Contact.contact_resident_id)
        .join(Case, Case.id == Contact.case_id)
        .join(_ContactDivision, _ContactDivision.id == Contact.division_id)
        .join(_CaseDivision, _CaseDivision.id == Case.division_id)
        .where(Contact.withdrawn_at.is_(None))
        .order_by(Contact.case_id, Contact.degree, Contact.first_exposure_at, Contact.id)
    )


_SELECTED = (Contact, Resident.name_masked, Case.case_number)


def _fetch(db: Session, query: AnySelect) -> list[ContactRow]:
    return [ContactRow(*row) for row in db.execute(query)]


def _select() -> AnySelect:
    return _rows(select(*_SELECTED, _ContactDivision.path, _CaseDivision.path))


def load_visible(
    db: Session, *, principal: Principal, contact_id: int, action: str = "contact:read"
) -> ContactRow:
    """One current contact the caller may see; NotFound or AccessDenied otherwise."""
    found = _fetch(db, _select().where(Contact.id == contact_id))
    if not found:
        raise NotFound(f"contact {contact_id} does not exist")
    row = found[0]
    if not may_see(principal, contact_path=row.contact_path, case_path=row.case_path):
        raise AccessDenied(
            f"contact {contact_id} lives outside your scope",
            action=action,
            entity="contact",
            entity_id=str(contact_id),
        )
    return row


def rows_for_case(db: Session, *, principal: Principal, case_id: int) -> list[ContactRow]:
    """The current contacts of a case that the caller may see (may_see's rule): all of them for
    its investigators (case readers whose scope covers the case), else those living in the
    caller's scope (community officers and grid workers: what contact:read grants them).

    A caller who may not read cases learns nothing of the case beyond those contacts (the
    division list shows the same rows): none in scope is the same 404 as no such case."""
    if is_allowed(principal.role, Permission.CASE_READ):
        cases.get_visible(db, principal=principal, case_id=case_id)
        return _fetch(db, _select().where(Contact.case_id == case_id))
    in_scope = _ContactDivision.path.startswith(principal.division_path, autoescape=True)
    rows = _fetch(db, _select().where(Contact.case_id == case_id, in_scope))
    if not rows:
        raise NotFound(f"case {case_id} has no contacts living in your scope")
    return rows


def for_case(
    db: Session,
    *,
    principal: Principal,
    case_id: int,
    purpose: str,
    now: datetime,
    with_details: bool = False,
) -> list[ContactOut]:
    """Contacts of one case: all for its investigators, those in scope for follow-up teams."""
    rows = rows_for_case(db, principal=principal, case_id=case_id)
    _audit_list(db, principal, purpose, {"case_id": case_id, "count": len(rows)})
    return views(db, rows, now=now, with_details=with_details)


def in_division(
    db: Session,
    *,
    principal: Principal,
    division_id: int,
    purpose: str,
    now: datetime,
    offset: int = 0,
    limit: int = 200,
) -> list[ContactOut]:
    """Contacts living in a division of the caller's scope (any case), for follow-up."""
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    query = _select().where(_ContactDivision.path.startswith(division.path, autoescape=True))
    rows = _fetch(db, query.offset(offset).limit(min(limit, MAX_PAGE)))
    _audit_list(db, principal, purpose, {"division_id": division_id, "count": len(rows)})
    return views(db, rows, now=now)


def detail(
    db: Session, *, principal: Principal, contact_id: int, purpose: str, now: datetime
) -> ContactOut:
    """One contact with every exposure and follow-up."""
    row = load_visible(db, principal=principal, contact_id=contact_id)
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="contact",
        entity_id=contact_id,
        purpose=purpose or f"routine work of {principal.role}",
    )
    return views(db, [row], now=now, with_details=True)[0]


def _audit_list(db: Session, principal: Principal, purpose: str, detail: dict[str, Any]) -> None:
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="contact",
        purpose=purpose or f"routine work of {principal.role}",
        detail=detail,
    )


def names_by_id(db: Session, model: Any, column: Any, ids: Iterable[int | None]) -> dict[int, str]:
    """`column` of the `model` rows with these ids (one query), by id."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        key: value
        for key, value in db.execute(select(model.id, column).where(model.id.in_(wanted)))
    }


def views(
    db: Session, rows: list[ContactRow], *, now: datetime, with_details: bool = False
) -> list[ContactOut]:
    """ContactOut of each row; names, places and follow-ups read in one query each."""
    ids = [r.contact.id for r in rows]
    reports: dict[int, list[FollowUp]] = defaultdict(list)
    exposures: dict[int, list[ContactExposure]] = defaultdict(list)
    if ids:
        for report in db.scalars(select(FollowUp).where(FollowUp.contact_id.in_(ids))):
            reports[report.contact_id].append(report)
        if with_details:
            query = select(ContactExposure).where(ContactExposure.contact_id.in_(ids))
            for exposure in db.scalars(query.order_by(ContactExposure.start_at)):
                exposures[exposure.contact_id].append(exposure)
    place_ids = [r.contact.place_id for r in rows]
    place_ids += [e.place_id for group in exposures.values() for e in group]
    places = names_by_id(db, Place, Place.name, place_ids)
    vias = names_by_id(
        db, Resident, Resident.name_masked, (r.contact.via_resident_id for r in rows)
    )
    out = []
    for row in rows:
        c = row.contact
        status = follow_up_status(c, reports[c.id], now=now)
        out.append(
            ContactOut(
                id=c.id,
                case_id=c.case_id,
                case_number=row.case_number,
                contact_resident_id=c.contact_resident_id,
                name_masked=row.name_masked,
                division_id=c.division_id,
                degree=c.degree,
                rule=c.rule,
                place_id=c.place_id,
                place_name=places.get(c.place_id) if c.place_id else None,
                via_resident_id=c.via_resident_id,
                via_name_masked=vias.get(c.via_resident_id) if c.via_resident_id else None,
                first_exposure_at=c.first_exposure_at,
                last_exposure_at=c.last_exposure_at,
                minutes=c.minutes,
                observation_ends_on=c.observation_ends_on,
                quarantined_at=c.quarantined_at,
                follow_up=FollowUpStatusOut(
                    state=status.state,
                    days_left=status.days_left,
                    last_report_on=status.last_report_on,
                ),
                exposures=[_exposure_out(e, places) for e in exposures[c.id]],
                follow_ups=[
                    FollowUpOut.model_validate(f)
                    for f in sorted(reports[c.id], key=lambda f: f.day)
                ]
                if with_details
                else [],
            )
        )
    return out


def _exposure_out(exposure: ContactExposure, places: dict[int, str]) -> ExposureOut:
    return ExposureOut(
        rule=exposure.rule,
        place_id=exposure.place_id,
        place_name=places.get(exposure.place_id) if exposure.place_id else None,
        via_resident_id=exposure.via_resident_id,
        start_at=exposure.start_at,
        end_at=exposure.end_at,
        minutes=exposure.minutes,
    )

"""Who sees what of an application: the employer sees a masked name until the resident confirms,
then the name and phone (each reveal audited); the resident sees their own applications.

Why wait for the confirmation: a resident proposed by an officer has not yet agreed to work for
this employer, and a phone number handed to a company cannot be taken back.

A hire holding a seat (accepted or confirmed) is shown with whether their risk status is green
now, read from health_code when the list is read. The employer learns "not green" only, never
yellow or red: that the hire must not come to work is all the employer needs, and the colour
says more about the person's health. Each such flag shown is audited like a reveal.

A resident released or dropped (or who withdrew) may apply again for the same need; the row is
reused (one per need and resident), so its earlier rounds are read back from the audit entries
of the renewals and shown to both sides. The employer also sees such a renewed application
while it is `applied` when an earlier round was released or dropped: they saw that round, and
it explains the row's history. Withdrawn rounds are the resident's alone (a withdrawal may have
come before any proposal).
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.errors import InvalidInput
from epicontrol.core.i18n import gettext as _
from epicontrol.core.local_time import local_date
from epicontrol.core.models import AuditEntry
from epicontrol.health_code import service as health_code
from epicontrol.labour import skills
from epicontrol.labour.models import (
    SEAT_HOLDING,
    ApplicationStatus,
    LabourApplication,
    LabourNeed,
    LabourProfile,
)
from epicontrol.labour.schemas import ApplicationOut, EarlierOut
from epicontrol.labour.service import GREEN, need_for
from epicontrol.people.models import Resident

# What an employer is shown: officers' proposals and what followed them.
EMPLOYER_SEES = (
    ApplicationStatus.PROPOSED.value,
    ApplicationStatus.ACCEPTED.value,
    ApplicationStatus.CONFIRMED.value,
    ApplicationStatus.DECLINED.value,
    ApplicationStatus.DROPPED.value,
    ApplicationStatus.WITHDRAWN.value,
    ApplicationStatus.RELEASED.value,
)

# Earlier rounds the employer is shown: those they took part in. A withdrawal may have come
# before any officer proposed the resident, so the employer never saw that round.
EMPLOYER_RECALLS = frozenset({ApplicationStatus.RELEASED.value, ApplicationStatus.DROPPED.value})


def for_employer(
    db: Session, *, principal: Principal, need_id: int, vault: PersonalDataVault
) -> list[ApplicationOut]:
    """A need's proposed candidates for its employer: names masked, contact only once the
    resident confirmed. Every listing and every reveal is audited."""
    need = need_for(db, principal=principal, need_id=need_id, action="labour:post")
    every = db.execute(
        select(LabourApplication, Resident, LabourProfile.skills)
        .join(Resident, Resident.id == LabourApplication.resident_id)
        .outerjoin(LabourProfile, LabourProfile.resident_id == Resident.id)
        .where(LabourApplication.need_id == need.id)
        .order_by(LabourApplication.score.desc(), LabourApplication.id)
    ).all()
    earlier = _earlier(db, [application.id for application, _r, _s in every], EMPLOYER_RECALLS)
    rows = [row for row in every if row[0].status in EMPLOYER_SEES or row[0].id in earlier]
    greens = _seat_holders_green(db, [application for application, _r, _s in rows])
    shown: list[ApplicationOut] = []
    for application, resident, offered in rows:
        name, phone = resident.name_masked, None
        if application.status == ApplicationStatus.CONFIRMED:
            name = vault.decrypt(resident.name_enc)
            phone = vault.decrypt(resident.phone_enc) if resident.phone_enc else None
            audit.record(db, actor=principal, action="read", entity="resident",
                         entity_id=resident.id, purpose="labour: employer contacts a hire",
                         detail={"need": need.id, "fields": ["name", "phone"]})  # fmt: skip
        if greens.get(application.id) is False:
            audit.record(db, actor=principal, action="read", entity="resident",
                         entity_id=resident.id, purpose="labour: employer told a hire is not green",
                         detail={"need": need.id, "fields": ["risk_status"]})  # fmt: skip
        out = _out(application, need, name, phone, offered, greens.get(application.id))
        shown.append(out.model_copy(update={"earlier": earlier.get(application.id, [])}))
    audit.record(db, actor=principal, action="read", entity="labour_need", entity_id=need.id,
                 purpose="labour: employer's candidates",
                 detail={"residents": [a.resident_id for a, _r, _s in rows]})  # fmt: skip
    return shown


def for_resident(db: Session, *, principal: Principal) -> list[ApplicationOut]:
    """The caller's own applications, newest first."""
    if principal.resident_id is None:
        raise InvalidInput(_("Your account is not linked to a resident."))
    rows = db.execute(
        select(LabourApplication, LabourNeed)
        .join(LabourNeed, LabourNeed.id == LabourApplication.need_id)
        .where(LabourApplication.resident_id == principal.resident_id)
        .order_by(LabourApplication.id.desc())
    ).all()
    greens = _seat_holders_green(db, [application for application, _need in rows])
    earlier = _earlier(db, [application.id for application, _need in rows])
    return [
        _out(application, need, "", None, None, greens.get(application.id)).model_copy(
            update={"earlier": earlier.get(application.id, [])}
        )
        for application, need in rows
    ]


def _earlier(
    db: Session, application_ids: list[int], ended: frozenset[str] | None = None
) -> dict[int, list[EarlierOut]]:
    """Each application's earlier rounds, oldest first, from its renewals' audit entries; only
    those that ended in one of `ended` when given."""
    if not application_ids:
        return {}
    entries = db.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity == "labour_application",
            AuditEntry.action == "reapply",
            AuditEntry.entity_id.in_([str(i) for i in application_ids]),
        )
        .order_by(AuditEntry.id)
    )
    found: dict[int, list[EarlierOut]] = {}
    for entry in entries:
        was = json.loads(entry.detail or "{}").get("was", "")
        if ended is not None and was not in ended:
            continue
        found.setdefault(int(entry.entity_id or 0), []).append(
            EarlierOut(status=was, reapplied_at=entry.at, reapplied_on=local_date(entry.at))
        )
    return found


def _seat_holders_green(db: Session, applications: list[LabourApplication]) -> dict[int, bool]:
    """For each application holding a seat: whether its resident is green now (one query)."""
    holding = [a for a in applications if a.status in SEAT_HOLDING]
    colours = health_code.colours(db, [a.resident_id for a in holding])
    return {a.id: colours[a.resident_id] == GREEN for a in holding}


def _out(
    application: LabourApplication,
    need: LabourNeed,
    name: str,
    phone: str | None,
    offered: str | None,
    is_green: bool | None,
) -> ApplicationOut:
    return ApplicationOut(
        id=application.id,
        need_id=need.id,
        need_title=need.title,
        employer_name=need.employer_name,
        status=application.status,
        name=name,
        phone=phone,
        skills=skills.split(offered or ""),
        score=application.score,
        distance_km=application.distance_km,
        is_green=is_green,
    )

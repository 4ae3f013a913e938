"""Fever-clinic registration (发热门诊登记): patients, their samples and results.

A registration is linked to a resident when the keyed hash of its ID number matches one;
otherwise it waits with `resident_id` NULL for record linkage (cases/linkage), which calls
cases/clinic_linkage. A positive result moves the patient into the
case list (a new case, or their suspected case confirmed); a negative one closes the
registration and discards their open suspected case. Every read of the records is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import clinic_cases, rules, service
from epicontrol.cases.clinic_schemas import (
    RegistrationIdentityOut,
    RegistrationIn,
    ResultIn,
    TestResult,
)
from epicontrol.cases.models import (
    ClinicRegistration,
    RegistrationStatus,
)
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import (
    PersonalDataVault,
    mask_name,
    normalise_phone,
    parse_resident_id,
)
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident
from epicontrol.places.models import Place, PlaceKind

ENTITY = "clinic_registration"
# A registration is entered while the patient is there, or soon after from paper.
MAX_ARRIVAL_AGE = timedelta(days=7)
MAX_PAGE = 500
# The shape record linkage accepts for a typed ID number (a wrong check digit or a swapped
# digit still passes; a number of the wrong length is sent as missing).
_LINKABLE_ID = re.compile(r"^[0-9]{14,18}[0-9X]$")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A registration after a write, and the case write it caused (None if none): the route
    hands `change` to tracing, as for any case write."""

    registration: ClinicRegistration
    change: service.CaseChange | None = None


def _denied(message: str, *, action: str, entity_id: int | None = None) -> AccessDenied:
    return AccessDenied(
        message,
        action=action,
        entity=ENTITY,
        entity_id=None if entity_id is None else str(entity_id),
    )


def fever_clinics(db: Session, *, principal: Principal) -> list[Place]:
    """The fever clinics in the caller's division subtree, by name."""
    query = (
        select(Place)
        .join(Division, Division.id == Place.division_id)
        .where(
            Place.kind == PlaceKind.FEVER_CLINIC.value,
            Division.path.startswith(principal.division_path, autoescape=True),
        )
        .order_by(Place.name)
    )
    return list(db.scalars(query))


def _clinic(db: Session, principal: Principal, code: str) -> Place:
    row = db.execute(
        select(Place, Division.path)
        .join(Division, Division.id == Place.division_id)
        .where(Place.code == code)
    ).first()
    if row is None or row[0].kind != PlaceKind.FEVER_CLINIC.value:
        raise InvalidInput(f"no fever clinic has the code {code!r}")
    clinic, path = row
    if not principal.covers(path):
        raise _denied(f"fever clinic {clinic.name} is outside your scope", action="clinic:register")
    return clinic


def _check_moment(name: str, moment: datetime, now: datetime) -> None:
    if moment > now + service.MAX_CLOCK_SKEW:
        raise InvalidInput(f"{name} {moment.isoformat()} is in the future")


def register(
    db: Session,
    *,
    principal: Principal,
    data: RegistrationIn,
    vault: PersonalDataVault,
    now: datetime,
) -> ClinicRegistration:
    """Register a patient at a fever clinic in the caller's scope."""
    clinic = _clinic(db, principal, data.clinic_code)
    arrived_at = data.arrived_at or now
    _check_moment("arrived_at", arrived_at, now)
    if arrived_at < now - MAX_ARRIVAL_AGE:
        raise InvalidInput(f"arrived_at is more than {MAX_ARRIVAL_AGE.days} days ago")
    low, high = rules.PLAUSIBLE_TEMPERATURE
    if data.temperature is not None and not low <= data.temperature <= high:
        raise InvalidInput(f"temperature {data.temperature} °C is not a body temperature")
    today = local_date(now)
    if data.onset_date is not None and data.onset_date > local_date(arrived_at):
        raise InvalidInput(f"onset_date {data.onset_date} is after the arrival")
    number = "".join((data.id_number or "").split()).upper() or None
    parsed = None
    if number is not None:
        try:
            parsed = parse_resident_id(number)
        except InvalidInput:
            parsed = None  # kept as typed: linkage copes with a mistyped number
    sex = data.sex or (parsed.sex if parsed else None)
    if sex is None:
        raise InvalidInput("sex is needed (M or F) when the ID number does not give it")
    birth = data.birth_date or (parsed.birth_date if parsed else None)
    if birth is not None and birth > today:
        raise InvalidInput(f"birth_date {birth} is in the future")
    phone = normalise_phone(data.phone) if data.phone else None
    id_hash = vault.lookup_hash("id", number) if number else None
    resident_id = (
        db.scalar(select(Resident.id).where(Resident.id_number_hash == id_hash))
        if id_hash
        else None
    )
    name = data.name.strip()
    registration = ClinicRegistration(
        place_id=clinic.id,
        division_id=clinic.division_id,
        resident_id=resident_id,
        id_number_hash=id_hash,
        id_number_enc=vault.encrypt(number) if number else None,
        is_id_number_valid=parsed is not None,
        name_enc=vault.encrypt(name),
        name_masked=mask_name(name),
        phone_hash=vault.lookup_hash("phone", phone) if phone else None,
        phone_enc=vault.encrypt(phone) if phone else None,
        sex=sex,
        birth_date=birth,
        temperature=data.temperature,
        symptoms=",".join(data.symptoms),
        onset_date=data.onset_date,
        arrived_at=arrived_at,
        status=RegistrationStatus.WAITING.value,
        registered_by=principal.username,
        created_at=now,
    )
    db.add(registration)
    db.flush()
    if resident_id is None:
        _queue_for_linkage(
            db, registration, principal, vault, name=name, number=number, phone=phone
        )
    audit.record(
        db,
        actor=principal,
        action="create",
        entity=ENTITY,
        entity_id=registration.id,
        purpose="fever clinic registration",
        detail={"clinic_id": clinic.id, "linked": resident_id is not None},
    )
    return registration


def _queue_for_linkage(
    db: Session,
    registration: ClinicRegistration,
    principal: Principal,
    vault: PersonalDataVault,
    *,
    name: str,
    number: str | None,
    phone: str | None,
) -> None:
    """Send an unmatched patient to record linkage, whose decision comes back through
    clinic_linkage.link_registration()."""
    # Imported here: the linkage package imports this module to write decisions back.
    from epicontrol.cases.linkage import intake

    typed = number if number and _LINKABLE_ID.match(number) else None
    if typed is None and phone is None and registration.birth_date is None:
        return  # a name alone cannot be linked (linkage refuses it); staff link such a patient
    record = {
        "source_ref": f"clinic-registration-{registration.id}",
        "name": name,
        "id_number": typed,
        "phone": phone,
        "sex": registration.sex,
        "birth_date": registration.birth_date,
    }
    intake.enqueue(
        db,
        source="clinic_registration",
        source_id=registration.id,
        records=[record],
        division_id=registration.division_id,
        vault=vault,
        actor=principal,
    )


def _visible(
    db: Session, principal: Principal, registration_id: int, action: str
) -> ClinicRegistration:
    row = db.execute(
        select(ClinicRegistration, Division.path)
        .join(Division, Division.id == ClinicRegistration.division_id)
        .where(ClinicRegistration.id == registration_id)
    ).first()
    if row is None:
        raise NotFound(f"registration {registration_id} does not exist")
    if not principal.covers(row[1]):
        raise _denied(
            f"registration {registration_id} is outside your scope",
            action=action,
            entity_id=registration_id,
        )
    return row[0]


def get_visible(
    db: Session, *, principal: Principal, registration_id: int, purpose: str
) -> ClinicRegistration:
    """One registration of a clinic in the caller's scope; the read is audited."""
    registration = _visible(db, principal, registration_id, "clinic:read")
    audit.record(
        db,
        actor=principal,
        action="read",
        entity=ENTITY,
        entity_id=registration.id,
        purpose=purpose or f"routine work of {principal.role}",
    )
    return registration


def list_visible(
    db: Session,
    *,
    principal: Principal,
    purpose: str,
    status: RegistrationStatus | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[ClinicRegistration]:
    """Registrations at clinics in the caller's scope, newest arrival first; audited."""
    query = (
        select(ClinicRegistration)
        .join(Division, Division.id == ClinicRegistration.division_id)
        .where(Division.path.startswith(principal.division_path, autoescape=True))
        .order_by(ClinicRegistration.arrived_at.desc(), ClinicRegistration.id.desc())
        .offset(offset)
        .limit(min(limit, MAX_PAGE))
    )
    if status is not None:
        query = query.where(ClinicRegistration.status == status.value)
    rows = list(db.scalars(query))
    audit.record(
        db,
        actor=principal,
        action="list",
        entity=ENTITY,
        purpose=purpose or f"routine work of {principal.role}",
        detail={"count": len(rows), "status": status.value if status else None, "offset": offset},
    )
    return rows


def reveal_identity(
    db: Session,
    *,
    principal: Principal,
    registration_id: int,
    purpose: str,
    vault: PersonalDataVault,
) -> RegistrationIdentityOut:
    """Decrypted ID number, name and phone of a patient; a purpose is required; audited."""
    if not purpose:
        raise InvalidInput("state the purpose of reading identity data in the X-Purpose header")
    registration = _visible(db, principal, registration_id, "clinic:read")
    audit.record(
        db,
        actor=principal,
        action="decrypt",
        entity=ENTITY,
        entity_id=registration.id,
        purpose=purpose,
    )
    enc = registration.id_number_enc
    return RegistrationIdentityOut(
        id=registration.id,
        id_number=vault.decrypt(enc) if enc else None,
        name=vault.decrypt(registration.name_enc),
        phone=vault.decrypt(registration.phone_enc) if registration.phone_enc else None,
    )


def record_sample(
    db: Session, *, principal: Principal, registration_id: int, sampled_at: datetime, now: datetime
) -> ClinicRegistration:
    """Record that a sample was taken (a result is awaited)."""
    registration = _visible(db, principal, registration_id, "clinic:register")
    if registration.result is not None:
        raise Conflict(f"registration {registration.id} already has its result")
    _check_sample(registration, sampled_at, now)
    registration.sampled_at = sampled_at
    registration.status = RegistrationStatus.SAMPLED.value
    audit.record(
        db,
        actor=principal,
        action="sample",
        entity=ENTITY,
        entity_id=registration.id,
        purpose="fever clinic testing",
    )
    db.flush()
    return registration


def _check_sample(registration: ClinicRegistration, sampled_at: datetime, now: datetime) -> None:
    _check_moment("sampled_at", sampled_at, now)
    if sampled_at < registration.arrived_at - service.MAX_CLOCK_SKEW:
        raise InvalidInput("sampled_at is before the patient arrived")


def record_result(
    db: Session, *, principal: Principal, registration_id: int, data: ResultIn, now: datetime
) -> Outcome:
    """Record the test result: positive opens (or confirms) the patient's case, negative closes
    the registration and discards their open suspected case. An unlinked patient's case waits
    for the link (clinic_linkage.link_registration)."""
    registration = _visible(db, principal, registration_id, "clinic:register")
    if registration.result is not None:
        raise Conflict(f"registration {registration.id} already has its result")
    sampled_at = data.sampled_at or registration.sampled_at
    if sampled_at is None:
        raise InvalidInput("a result needs the time its sample was taken (sampled_at)")
    _check_sample(registration, sampled_at, now)
    result_at = data.result_at or now
    _check_moment("result_at", result_at, now)
    if result_at < sampled_at:
        raise InvalidInput("result_at is before the sample was taken")
    registration.sampled_at, registration.result_at = sampled_at, result_at
    registration.result = data.result.value
    positive = data.result == TestResult.POSITIVE
    registration.status = (
        RegistrationStatus.POSITIVE.value if positive else RegistrationStatus.NEGATIVE.value
    )
    audit.record(
        db,
        actor=principal,
        action="result",
        entity=ENTITY,
        entity_id=registration.id,
        purpose="fever clinic testing",
        detail={"result": registration.result},
    )
    db.flush()
    if registration.resident_id is None:
        return Outcome(registration)  # integration point (linkage): the case follows the link
    return Outcome(registration, clinic_cases.apply_result(db, principal, registration, now))

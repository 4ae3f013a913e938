"""Residents: scoped reads, audited decryption of identity, registration."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault, mask_name, normalise_phone, parse_resident_id
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.policy import Role
from epicontrol.divisions import service as divisions
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.people.models import Household, Resident
from epicontrol.people.schemas import ResidentIdentityOut, ResidentIn

MAX_PAGE = 500


def _load(db: Session, resident_id: int) -> tuple[Resident, Division]:
    row = db.execute(
        select(Resident, Division)
        .join(Division, Division.id == Resident.division_id)
        .where(Resident.id == resident_id)
    ).first()
    if row is None:
        raise NotFound(f"resident {resident_id} does not exist")
    return row[0], row[1]


def _ensure_visible(principal: Principal, resident: Resident, division: Division) -> None:
    if principal.role == Role.RESIDENT:
        own = resident.id == principal.resident_id
        same_home = principal.household_id is not None and (
            resident.household_id == principal.household_id
        )
        if not (own or same_home):
            raise AccessDenied(
                "a resident may only see their own and their household's records",
                action="resident:read",
                entity="resident",
                entity_id=str(resident.id),
            )
        return
    if not principal.covers(division.path):
        raise AccessDenied(
            f"resident {resident.id} is registered in {division.name}, outside your scope",
            action="resident:read",
            entity="resident",
            entity_id=str(resident.id),
        )


def get_visible(db: Session, *, principal: Principal, resident_id: int, purpose: str) -> Resident:
    """A resident the caller may see; the read is audited, a refusal raises AccessDenied."""
    resident, division = _load(db, resident_id)
    _ensure_visible(principal, resident, division)
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="resident",
        entity_id=resident.id,
        purpose=purpose or _default_purpose(principal),
    )
    return resident


def reveal_identity(
    db: Session, *, principal: Principal, resident_id: int, purpose: str, vault: PersonalDataVault
) -> ResidentIdentityOut:
    """Decrypted ID number, name and phone; staff must state a purpose; always audited."""
    if principal.role != Role.RESIDENT and not purpose:
        raise InvalidInput("state the purpose of reading identity data in the X-Purpose header")
    resident, division = _load(db, resident_id)
    _ensure_visible(principal, resident, division)
    audit.record(
        db,
        actor=principal,
        action="decrypt",
        entity="resident",
        entity_id=resident.id,
        purpose=purpose or _default_purpose(principal),
    )
    return ResidentIdentityOut(
        id=resident.id,
        id_number=vault.decrypt(resident.id_number_enc),
        name=vault.decrypt(resident.name_enc),
        phone=vault.decrypt(resident.phone_enc) if resident.phone_enc else None,
    )


def list_in_division(
    db: Session,
    *,
    principal: Principal,
    division_id: int,
    purpose: str,
    offset: int = 0,
    limit: int = 100,
) -> list[Resident]:
    """Residents registered in a division's subtree, which must lie in the caller's scope."""
    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    query = (
        select(Resident)
        .join(Division, Division.id == Resident.division_id)
        .where(Division.path.startswith(division.path, autoescape=True))
        .order_by(Resident.id)
        .offset(offset)
        .limit(min(limit, MAX_PAGE))
    )
    rows = list(db.scalars(query))
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="resident",
        entity_id=None,
        purpose=purpose or _default_purpose(principal),
        detail={"division_id": division_id, "count": len(rows), "offset": offset},
    )
    return rows


def household_members(db: Session, *, principal: Principal, purpose: str) -> list[Resident]:
    """The calling resident's household (or only themself if they have none)."""
    if principal.resident_id is None:
        raise NotFound("this login is not linked to a resident")
    if principal.household_id is None:
        query = select(Resident).where(Resident.id == principal.resident_id)
    else:
        query = select(Resident).where(Resident.household_id == principal.household_id)
    rows = list(db.scalars(query.order_by(Resident.id)))
    audit.record(
        db,
        actor=principal,
        action="list",
        entity="household",
        entity_id=principal.household_id,
        purpose=purpose or "own household",
    )
    return rows


def register(
    db: Session, *, principal: Principal, data: ResidentIn, vault: PersonalDataVault
) -> Resident:
    """Register one resident in a grid of the caller's scope; duplicates are refused."""
    parsed = parse_resident_id(data.id_number)
    phone = normalise_phone(data.phone) if data.phone else None
    grid = divisions.get_by_code(db, code=data.division_code)
    if grid.level != DivisionLevel.GRID:
        raise InvalidInput(f"division '{grid.code}' is a {grid.level}, not a grid")
    if not principal.covers(grid.path):
        raise AccessDenied(
            f"grid {grid.name} is outside your scope",
            action="resident:write",
            entity="division",
            entity_id=str(grid.id),
        )
    if data.household_id is not None:
        household = db.get(Household, data.household_id)
        if household is None or household.division_id != grid.id:
            raise InvalidInput(f"household {data.household_id} is not in grid {grid.code}")
    id_hash = vault.lookup_hash("id", parsed.number)
    if db.scalar(select(Resident.id).where(Resident.id_number_hash == id_hash)) is not None:
        raise Conflict("a resident with this ID number is already registered")
    resident = Resident(
        division_id=grid.id,
        household_id=data.household_id,
        id_number_hash=id_hash,
        id_number_enc=vault.encrypt(parsed.number),
        name_enc=vault.encrypt(data.name.strip()),
        name_masked=mask_name(data.name.strip()),
        phone_hash=vault.lookup_hash("phone", phone) if phone else None,
        phone_enc=vault.encrypt(phone) if phone else None,
        sex=parsed.sex,
        birth_year=parsed.birth_date.year,
        occupation=data.occupation,
        source="officer",
    )
    db.add(resident)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="create",
        entity="resident",
        entity_id=resident.id,
        purpose="registration",
    )
    return resident


def count(db: Session) -> int:
    """How many residents are stored."""
    return db.scalar(select(func.count()).select_from(Resident)) or 0


def _default_purpose(principal: Principal) -> str:
    return f"routine work of {principal.role}"

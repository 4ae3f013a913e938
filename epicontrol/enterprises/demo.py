"""Demo data for resumption of work: three phases and a handful of companies in them.

The demo's company login represents a mask maker approved in phase 1 (its employee list is 30
residents of its street, taken from the register by their lookup hash, so nothing is decrypted);
utilities and logistics came back in phase 1 too, a supermarket chain in phase 2; two factories
wait for phase 3 and a furniture maker was refused. A store that has companies is left alone.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.enterprises.credit_code import check_char
from epicontrol.enterprises.models import (
    ApplicationStatus,
    Category,
    Enterprise,
    EnterpriseEmployee,
    EnterpriseMember,
    ResumptionApplication,
    ResumptionPhase,
)
from epicontrol.enterprises.phases import stored_categories
from epicontrol.people.models import Resident

# phase number, days from today it opened (negative: past), categories, what it is for
PHASES = (
    (1, -10, (Category.MEDICAL_SUPPLIES, Category.UTILITIES_TRANSPORT),
     "保障类企业优先：防疫物资、水电气与物流 Essential supplies, utilities and logistics first"),
    (2, -3, (Category.DAILY_NECESSITIES,),
     "生活必需品供应 Shops and food supply for residents"),
    (3, 5, (Category.MAJOR_INDUSTRY, Category.OTHER),
     "重点工业企业分批复工 Major industry back in turn, staff checked first"),
)  # fmt: skip
# name, sector, category, workforce, status, phase, reason
COMPANIES = (
    ("湖州康护医疗用品有限公司", "医用口罩 medical masks", Category.MEDICAL_SUPPLIES, 320,
     ApplicationStatus.APPROVED, 1, ""),
    ("城市自来水有限公司", "供水 water supply", Category.UTILITIES_TRANSPORT, 140,
     ApplicationStatus.APPROVED, 1, ""),
    ("顺达冷链物流有限公司", "物流 logistics", Category.UTILITIES_TRANSPORT, 85,
     ApplicationStatus.APPROVED, 1, ""),
    ("鲜丰超市连锁有限公司", "零售 groceries", Category.DAILY_NECESSITIES, 210,
     ApplicationStatus.APPROVED, 2, ""),
    ("长兴纺织集团有限公司", "纺织 textiles", Category.MAJOR_INDUSTRY, 1200,
     ApplicationStatus.SUBMITTED, None, ""),
    ("南太湖机械制造有限公司", "机械 machinery", Category.MAJOR_INDUSTRY, 460,
     ApplicationStatus.SUBMITTED, None, ""),
    ("安吉家具有限公司", "家具 furniture", Category.OTHER, 90,
     ApplicationStatus.REFUSED, None, "防控措施不全：无临时隔离室 no isolation room"),
)  # fmt: skip
DEMO_EMPLOYEES = 30


def seed_demo(db: Session, *, seed: int = 2020) -> None:
    """Store the demo's phases, companies and applications (the caller commits)."""
    if db.scalar(select(func.count()).select_from(Enterprise)):
        return
    commander = db.scalar(select(User).where(User.role == Role.COMMANDER.value).limit(1))
    representative = db.scalar(select(User).where(User.role == Role.ENTERPRISE.value).limit(1))
    if commander is None:
        return
    city = db.get(Division, commander.division_id)
    assert city is not None
    streets = list(
        db.scalars(
            select(Division)
            .where(Division.path.startswith(city.path), Division.level == DivisionLevel.STREET)
            .order_by(Division.id)
        )
    )
    if not streets:
        return
    chooser = random.Random(seed)
    today = local_date(utcnow())
    phases = _phases(db, city, commander.id, today)
    home = _division_of(db, representative) if representative else None
    for number, row in enumerate(COMPANIES, start=1):
        name, sector, category, workforce, status, phase, reason = row
        place = home if number == 1 and home is not None else chooser.choice(streets)
        company = Enterprise(
            name=name,
            credit_code=_credit_code(number),
            sector=sector,
            category=category.value,
            division_id=place.id,
            workforce=workforce,
            measures=json.dumps(["disinfection", "masks_supplied", "temperature_checks"]),
            measures_note="进出登记、分餐 entry register, separate meals",
            registered_at=utcnow() - timedelta(days=12 - number),
        )
        db.add(company)
        db.flush()
        approved_on = phases[phase].opens_on + timedelta(days=1) if phase else None
        db.add(
            ResumptionApplication(
                enterprise_id=company.id,
                status=status.value,
                version=1 if status is ApplicationStatus.SUBMITTED else 2,
                phase_id=phases[phase].id if phase else None,
                submitted_by=(representative or commander).id,
                submitted_at=utcnow() - timedelta(days=11 - number),
                decided_by=None if status is ApplicationStatus.SUBMITTED else commander.id,
                decided_at=None if status is ApplicationStatus.SUBMITTED else utcnow(),
                approved_on=min(approved_on, today) if approved_on else None,
                reason=reason,
            )
        )
        if number == 1 and representative is not None:
            db.add(EnterpriseMember(user_id=representative.id, enterprise_id=company.id))
            _employees(db, company, place)
    db.flush()


def _phases(db: Session, city: Division, creator: int, today: date) -> dict[int, ResumptionPhase]:
    made = {}
    for number, days, categories, notes in PHASES:
        made[number] = ResumptionPhase(
            division_id=city.id,
            number=number,
            opens_on=today + timedelta(days=days),
            categories=stored_categories(list(categories)),
            notes=notes,
            created_by=creator,
        )
        db.add(made[number])
    db.flush()
    return made


def _division_of(db: Session, user: User) -> Division | None:
    """The street above the demo representative's community (where its factory is)."""
    division = db.get(Division, user.division_id)
    while division is not None and division.level != DivisionLevel.STREET.value:
        division = db.get(Division, division.parent_id) if division.parent_id else None
    return division


def _credit_code(number: int) -> str:
    first17 = f"91330500MA2{number:06d}"
    return first17 + check_char(first17)


def _employees(db: Session, company: Enterprise, street: Division) -> None:
    """Residents of the company's street as its employees, copied by their lookup hash."""
    residents = db.execute(
        select(Resident.id, Resident.id_number_hash, Resident.name_enc, Resident.name_masked)
        .join(Division, Division.id == Resident.division_id)
        .where(Division.path.startswith(street.path))
        .order_by(Resident.id)
        .limit(DEMO_EMPLOYEES)
    ).all()
    for resident_id, id_hash, name_enc, name_masked in residents:
        db.add(
            EnterpriseEmployee(
                enterprise_id=company.id,
                id_number_hash=id_hash,
                name_enc=name_enc,
                name_masked=name_masked,
                resident_id=resident_id,
            )
        )

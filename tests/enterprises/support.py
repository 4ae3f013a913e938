"""Enterprise resumption test data: credit codes, companies, employee lists, risk colours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.db import utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.local_time import local_date
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.enterprises import companies, phases, review
from epicontrol.enterprises.credit_code import check_char
from epicontrol.enterprises.models import Category
from epicontrol.enterprises.schemas import CompanyIn, Decision, DecisionIn, PhaseIn
from epicontrol.health_code.models import RiskStatus
from tests.factories import PASSWORD_HASH, City


def credit_code(sequence: int, region: str = "410102") -> str:
    """A valid unified social credit code (GB 32100) for a company number."""
    first17 = f"91{region}{sequence:09d}"
    return first17 + check_char(first17)


def principal(db: Session, username: str) -> Principal:
    """The principal of a test user, as a request would load it."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    found = load_principal(db, user_id)
    assert found is not None
    return found


def add_company_login(db: Session, city: City, username: str, scope: str = "s1") -> str:
    """Another company representative (role enterprise), committed."""
    db.add(
        User(
            username=username,
            display_name=username,
            password_hash=PASSWORD_HASH,
            role=Role.ENTERPRISE.value,
            division_id=city.divisions[scope],
        )
    )
    db.commit()
    return username


def company_in(city: City, sequence: int = 1, **changes: object) -> CompanyIn:
    """A registration in community m1 of a medical-supplies maker."""
    values: dict[str, object] = {
        "name": f"测试口罩厂{sequence}",
        "credit_code": credit_code(sequence),
        "sector": "纺织 textiles",
        "category": Category.MEDICAL_SUPPLIES,
        "division_id": city.divisions["m1"],
        "workforce": 120,
        "measures": ["temperature_checks", "masks_supplied"],
        "measures_note": "每日两次测温",
    }
    return CompanyIn.model_validate(values | changes)


def employee_csv(city: City, residents: list[str], extra: list[str] | None = None) -> bytes:
    """A CSV of the test city's residents (name, ID, phone), plus raw extra lines."""
    lines = ["name,id_number,phone"]
    lines += [f"{city.names[r]},{city.id_numbers[r]},{city.phones[r]}" for r in residents]
    lines += extra or []
    return ("\n".join(lines) + "\n").encode()


def set_colour(db: Session, city: City, resident: str, colour: str) -> None:
    """Store a resident's current risk status (no expiry), committed."""
    db.merge(RiskStatus(resident_id=city.residents[resident], colour=colour, reason="test"))
    db.commit()


def add_phase(
    db: Session,
    city: City,
    number: int = 1,
    categories: tuple[Category, ...] = (Category.MEDICAL_SUPPLIES,),
    opens_in_days: int = 0,
    division: str = "city",
    notes: str | None = None,
) -> int:
    """A phase configured by the commander, committed; returns its id."""
    phase = phases.create_phase(
        db,
        principal=principal(db, "commander"),
        data=PhaseIn(
            division_id=city.divisions[division],
            number=number,
            opens_on=local_date(utcnow()) + timedelta(days=opens_in_days),
            categories=list(categories),
            notes=notes,
        ),
    )
    db.commit()
    return phase.id


def registered_application(db: Session, city: City, username: str = "enterprise_s1") -> int:
    """enterprise_s1's company registered and applied, committed; returns the application id."""
    company = principal(db, username)
    companies.register(db, principal=company, data=company_in(city))
    application = companies.submit(db, principal=company)
    db.commit()
    return application.id


def ready_application(db: Session, city: City, vault: PersonalDataVault) -> int:
    """enterprise_s1's company (medical supplies, community m1) applied with a green employee
    list, committed; returns the application id."""
    application_id = registered_application(db, city)
    companies.upload_employees(
        db,
        principal=principal(db, "enterprise_s1"),
        data=employee_csv(city, ["wang_father"]),
        vault=vault,
    )
    db.commit()
    return application_id


def approved_application(db: Session, city: City, vault: PersonalDataVault, phase_id: int) -> int:
    """The ready application approved in the phase by the commander today, committed."""
    application_id = ready_application(db, city, vault)
    review.decide(
        db,
        principal=principal(db, "commander"),
        application_id=application_id,
        data=DecisionIn(decision=Decision.APPROVE, version=1, phase_id=phase_id),
    )
    db.commit()
    return application_id

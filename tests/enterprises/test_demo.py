"""The demo's resumption data: three phases, companies in them, the demo company's list."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.enterprises import employees, whitelist
from epicontrol.enterprises.demo import seed_demo
from epicontrol.enterprises.models import Enterprise, ResumptionApplication
from tests.enterprises.support import principal
from tests.factories import City


def test_demo_companies_in_several_phases_once(db: Session, city: City) -> None:
    seed_demo(db)
    db.commit()
    statuses = Counter(db.scalars(select(ResumptionApplication.status)))
    assert statuses == {"approved": 4, "submitted": 2, "refused": 1}
    assert sorted({entry.phase for entry in whitelist.entries(db)}) == [1, 2]
    assert all(entry.phase_notes for entry in whitelist.entries(db))  # what each phase is for

    from epicontrol.enterprises.companies import own_enterprise

    own = own_enterprise(db, principal=principal(db, "enterprise_s1"))
    assert own is not None and own.division_id == city.divisions["s1"]
    check = employees.check(db, enterprise_id=own.id)
    assert check.employees == 5 and check.unknown == 0  # s1's residents, matched by hash
    seed_demo(db)
    assert db.scalar(select(func.count()).select_from(Enterprise)) == 7

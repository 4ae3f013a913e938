"""Labour matching services: ranking, the green-only rule (also when a resident turns yellow
later), employer scope, masked names until the resident confirms, and the figures."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput
from epicontrol.core.models import AuditEntry
from epicontrol.divisions.models import Division
from epicontrol.labour import disclosure, matching, service
from epicontrol.labour.figures import labour_figures
from epicontrol.labour.models import LabourApplication, LabourNeed, LabourProfile
from epicontrol.labour.schemas import ProfileIn
from tests.factories import City
from tests.health_code.records import add_fever
from tests.labour.support import need_in, offer_work, place_city, post_need, principal


@pytest.fixture
def placed(db: Session, city: City) -> City:
    place_city(db, city)
    return city


def test_candidates_rank_by_skills_then_distance_then_availability(
    db: Session, placed: City
) -> None:
    city = placed
    need_id = post_need(db, city)
    offer_work(db, city.residents["wang_father"])  # both skills, 0.1 km, all days
    offer_work(db, city.residents["wang_mother"], skills=("sewing_machine_operator",))
    offer_work(db, city.residents["neighbour"], days=("sat", "sun"))  # no shared day
    offer_work(db, city.residents["m2_resident"])  # both skills, ~5 km
    offer_work(db, city.residents["m3_resident"], max_distance_km=30)  # ~40 km: beyond reach
    ranked = matching.rank(db, principal=principal(db, "commander"), need_id=need_id)
    order = [c.resident_id for c in ranked]
    assert order == [
        city.residents["wang_father"],
        city.residents["m2_resident"],
        city.residents["neighbour"],
        city.residents["wang_mother"],
    ]
    first = ranked[0]
    assert first.skill_overlap == 1 and first.availability_overlap == 1
    assert first.distance_km is not None and first.distance_km < 1
    assert ranked[2].availability_overlap == 0
    assert ranked[3].skill_overlap == 0.5
    assert all(c.name_masked and "王建国" not in c.name_masked for c in ranked)


def test_officer_sees_candidates_of_their_area_and_anyone_who_applied(
    db: Session, placed: City
) -> None:
    city = placed
    need_id = post_need(db, city)
    offer_work(db, city.residents["wang_father"])
    offer_work(db, city.residents["m2_resident"])
    officer = principal(db, "officer_m1")
    assert [c.resident_id for c in matching.rank(db, principal=officer, need_id=need_id)] == [
        city.residents["wang_father"]
    ]
    db.add(LabourApplication(need_id=need_id, resident_id=city.residents["m2_resident"],
                             status="applied"))  # fmt: skip
    db.commit()
    seen = {c.resident_id for c in matching.rank(db, principal=officer, need_id=need_id)}
    assert seen == {city.residents["wang_father"], city.residents["m2_resident"]}
    with pytest.raises(AccessDenied):
        matching.rank(db, principal=principal(db, "officer_m3"), need_id=need_id)


def test_only_green_residents_apply_or_are_ranked(db: Session, placed: City) -> None:
    city = placed
    need_id = post_need(db, city)
    wang = city.residents["wang_father"]
    resident = principal(db, "resident_wang")
    offer_work(db, wang)
    add_fever(db, wang)
    db.commit()
    with pytest.raises(Conflict, match="绿码"):  # the default language is Chinese
        service.apply(db, principal=resident, need_id=need_id)
    db.rollback()
    assert matching.rank(db, principal=principal(db, "commander"), need_id=need_id) == []
    with pytest.raises(Conflict, match="not a candidate"):
        matching.propose(
            db, principal=principal(db, "commander"), need_id=need_id, resident_id=wang
        )


def test_resident_turning_yellow_drops_out_and_gives_the_seat_back(
    db: Session, placed: City
) -> None:
    city = placed
    need_id = post_need(db, city, positions=1)
    wang, zhang = city.residents["wang_father"], city.residents["neighbour"]
    offer_work(db, wang)
    offer_work(db, zhang)
    officer, employer = principal(db, "officer_m1"), principal(db, "enterprise_s1")
    first = matching.propose(db, principal=officer, need_id=need_id, resident_id=wang)
    second = matching.propose(db, principal=officer, need_id=need_id, resident_id=zhang)
    db.commit()
    # Yellow before the employer decides: acceptance drops them instead.
    add_fever(db, zhang)
    db.commit()
    with pytest.raises(matching.NoLongerGreen):
        matching.decide(db, principal=employer, application_id=second.id, accept=True)
    db.commit()  # the route commits the drop
    assert db.get(LabourApplication, second.id).status == "dropped"  # type: ignore[union-attr]
    # Accepted, then yellow before confirming: dropped, and the seat is free again.
    matching.decide(db, principal=employer, application_id=first.id, accept=True)
    db.commit()
    need = db.get(LabourNeed, need_id)
    assert need is not None and need.filled == 1
    add_fever(db, wang)
    db.commit()
    with pytest.raises(matching.NoLongerGreen):
        matching.confirm(db, principal=principal(db, "resident_wang"), application_id=first.id)
    db.commit()
    db.refresh(need)
    assert need.filled == 0
    assert db.get(LabourApplication, first.id).status == "dropped"  # type: ignore[union-attr]


def test_employer_sees_masked_names_until_the_resident_confirms(
    db: Session, placed: City, vault: PersonalDataVault
) -> None:
    city = placed
    need_id = post_need(db, city)
    wang = city.residents["wang_father"]
    resident = principal(db, "resident_wang")
    offer = ProfileIn(skills=["packing"], shifts=["day"], days=["mon"], max_distance_km=10)
    service.save_profile(db, principal=resident, data=offer)
    applied = service.apply(db, principal=resident, need_id=need_id)
    db.commit()
    employer = principal(db, "enterprise_s1")
    assert disclosure.for_employer(db, principal=employer, need_id=need_id, vault=vault) == []
    matching.propose(db, principal=principal(db, "officer_m1"), need_id=need_id, resident_id=wang)
    seen = disclosure.for_employer(db, principal=employer, need_id=need_id, vault=vault)
    assert [(s.name, s.phone) for s in seen] == [("王**", None)]
    matching.decide(db, principal=employer, application_id=applied.id, accept=True)
    seen = disclosure.for_employer(db, principal=employer, need_id=need_id, vault=vault)
    assert seen[0].phone is None and "建" not in seen[0].name
    matching.confirm(db, principal=resident, application_id=applied.id)
    seen = disclosure.for_employer(db, principal=employer, need_id=need_id, vault=vault)
    assert [(s.name, s.phone) for s in seen] == [
        (city.names["wang_father"], city.phones["wang_father"])
    ]
    db.commit()
    reveals = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "resident", AuditEntry.entity_id == str(wang))
    ).all()
    assert [r.actor for r in reveals] == ["enterprise_s1"]
    assert "employer" in reveals[0].purpose


def test_needs_stay_in_the_employers_scope(db: Session, placed: City) -> None:
    city = placed
    employer = principal(db, "enterprise_s1")
    with pytest.raises(AccessDenied):
        service.post_need(
            db, principal=employer, data=need_in(city, division_id=city.divisions["m3"])
        )
    with pytest.raises(InvalidInput, match="unknown skills"):
        service.post_need(db, principal=employer, data=need_in(city, skills=["juggling"]))
    need_id = post_need(db, city)
    assert [n.id for n in service.needs_in_scope(db, principal=employer)] == [need_id]
    assert service.needs_in_scope(db, principal=principal(db, "officer_m3")) == []


def test_jobs_near_me_lists_open_needs_within_my_travel_limit(db: Session, placed: City) -> None:
    city = placed
    near = post_need(db, city)
    far = post_need(db, city, latitude=29.3, longitude=118.7, title="far")
    resident = principal(db, "resident_wang")
    assert [n.id for n in service.jobs_near(db, principal=resident)] == [near, far]
    service.save_profile(db, principal=resident, data=ProfileIn(
        skills=["packing"], shifts=["day"], days=["mon"], max_distance_km=10))  # fmt: skip
    shown = service.jobs_near(db, principal=resident)
    assert [n.id for n in shown] == [near]
    assert shown[0].distance_km is not None and shown[0].distance_km < 1
    assert db.scalar(select(LabourProfile.skills)) == "packing"


def test_figures_count_needs_of_the_subtree(db: Session, placed: City) -> None:
    city = placed
    empty = labour_figures(db, db.get(Division, city.divisions["city"]))  # type: ignore[arg-type]
    assert empty == {"needs_open": 0, "positions": 0, "filled": 0, "confirmed": 0,
                     "applicants": 0, "fill_rate": 0.0}  # fmt: skip
    need_id = post_need(db, city, positions=4)
    post_need(db, city, positions=6)
    wang = city.residents["wang_father"]
    offer_work(db, wang)
    application = matching.propose(db, principal=principal(db, "officer_m1"), need_id=need_id,
                                   resident_id=wang)  # fmt: skip
    matching.decide(db, principal=principal(db, "enterprise_s1"), application_id=application.id,
                    accept=True)  # fmt: skip
    db.commit()
    figures = labour_figures(db, db.get(Division, city.divisions["s1"]))  # type: ignore[arg-type]
    assert figures == {"needs_open": 2, "positions": 10, "filled": 1, "confirmed": 0,
                       "applicants": 1, "fill_rate": 0.1}  # fmt: skip
    elsewhere = labour_figures(db, db.get(Division, city.divisions["m3"]))  # type: ignore[arg-type]
    assert elsewhere["positions"] == 0

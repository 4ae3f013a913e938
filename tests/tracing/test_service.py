"""Tracing a case from the store: exact contacts of a hand-made outbreak, idempotent reruns,
quarantine bounding secondary contacts, and the audit of each run."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.errors import InvalidInput
from epicontrol.core.models import AuditEntry
from epicontrol.tracing import service
from epicontrol.tracing.follow_ups import follow_up_status
from epicontrol.tracing.models import Contact, ContactExposure, FollowUp, RunStatus
from epicontrol.tracing.rules import DEFAULT_RULES
from epicontrol.tracing.schemas import FollowUpIn
from epicontrol.tracing.store_source import StoreSlice, margin_s
from tests.factories import City
from tests.tracing.store_scenario import (
    CHINA,
    EXPECTED,
    NOW,
    build,
    case_of,
    china,
    described,
    principal,
)

DAY = timedelta(days=1)


def test_trace_finds_exactly_the_close_household_and_secondary_contacts(
    db: Session, city: City
) -> None:
    scenario = build(db, city)
    run = service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    assert run.status == RunStatus.DONE
    assert run.contacts_found == len(EXPECTED)
    assert described(db, city, scenario, scenario.case_id) == EXPECTED
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "trace"))
    assert entry is not None
    assert (entry.entity, entry.entity_id) == ("case", str(scenario.case_id))
    assert json.loads(entry.detail) == {
        "run_id": run.id,
        "requested_by": "system",
        "close_contacts": 3,
        "secondary_contacts": 1,
        "removed": 0,
        "withdrawn": 0,
    }


def test_contact_times_exposures_and_observation_end(db: Session, city: City) -> None:
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    neighbour = db.scalar(
        select(Contact).where(Contact.contact_resident_id == city.residents["neighbour"])
    )
    assert neighbour is not None
    assert neighbour.first_exposure_at == china(9, "10:10")
    assert neighbour.last_exposure_at == china(9, "10:40")
    assert neighbour.minutes == 30
    # 14 days from the last exposure (tracing/rules.py), as a China date.
    assert neighbour.observation_ends_on == (china(9, "10:40") + timedelta(days=14)).date()
    [exposure] = db.scalars(
        select(ContactExposure).where(ContactExposure.contact_id == neighbour.id)
    ).all()
    assert (exposure.place_id, exposure.start_at, exposure.minutes) == (
        scenario.places["market"],
        china(9, "10:10"),
        30,
    )
    mother = db.scalar(
        select(Contact).where(Contact.contact_resident_id == city.residents["wang_mother"])
    )
    assert mother is not None
    # A household contact is exposed for the whole window: 8 Feb 00:00 until isolation.
    assert mother.first_exposure_at == china(8, "00:00")
    assert mother.last_exposure_at == china(11, "12:00")
    assert mother.observation_ends_on.isoformat() == "2026-02-25"


def test_tracing_twice_keeps_one_row_per_contact_and_their_follow_ups(
    db: Session, city: City
) -> None:
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    first_ids = set(db.scalars(select(Contact.id)))
    neighbour_id = db.scalar(
        select(Contact.id).where(Contact.contact_resident_id == city.residents["neighbour"])
    )
    assert neighbour_id is not None
    service.record_follow_up(
        db,
        principal=principal(db, "gridworker_g1"),
        contact_id=neighbour_id,
        data=FollowUpIn(),
        now=NOW,
    )
    db.commit()
    service.trace_case(db, scenario.case_id, now=NOW + timedelta(hours=1))
    db.commit()
    assert set(db.scalars(select(Contact.id))) == first_ids
    assert described(db, city, scenario, scenario.case_id) == EXPECTED
    assert db.scalar(select(func.count()).select_from(ContactExposure)) == len(EXPECTED)
    assert db.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_quarantine_of_a_close_contact_ends_their_secondary_window(db: Session, city: City) -> None:
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    neighbour_id = db.scalar(
        select(Contact.id).where(Contact.contact_resident_id == city.residents["neighbour"])
    )
    assert neighbour_id is not None
    # Quarantined before the restaurant dinner: m3_resident is no longer a secondary contact.
    service.set_quarantine(
        db,
        principal=principal(db, "officer_m1"),
        contact_id=neighbour_id,
        quarantined_at=china(10, "12:00"),
        now=NOW,
    )
    db.commit()
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    expected = {c for c in EXPECTED if c[0] != "m3_resident"}
    assert described(db, city, scenario, scenario.case_id) == expected


def test_a_withdrawn_contact_with_follow_ups_is_kept_off_the_lists(db: Session, city: City) -> None:
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    m3 = db.scalar(
        select(Contact).where(Contact.contact_resident_id == city.residents["m3_resident"])
    )
    assert m3 is not None
    service.record_follow_up(
        db, principal=principal(db, "officer_m3"), contact_id=m3.id, data=FollowUpIn(), now=NOW
    )
    # The neighbour's quarantine before the dinner takes m3_resident off the secondary list.
    neighbour = db.scalar(
        select(Contact).where(Contact.contact_resident_id == city.residents["neighbour"])
    )
    assert neighbour is not None
    neighbour.quarantined_at = china(10, "12:00")
    db.commit()
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    db.expire_all()
    kept = db.get(Contact, m3.id)
    assert kept is not None and kept.withdrawn_at is not None
    assert db.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_store_slice_reads_only_the_movements_that_can_matter(db: Session, city: City) -> None:
    scenario = build(db, city)
    case = case_of(db, scenario.case_id)
    # Pass 1 alone: the case's stays in his window and everyone's at the market around them;
    # not the restaurant, where he never went.
    store = StoreSlice(db, margin_s(DEFAULT_RULES))
    store.add_people({case.resident_id: (int(china(8, "00:00").timestamp()), int(NOW.timestamp()))})
    read = store.events_table()
    assert set(read.column("place_id").to_pylist()) == {scenario.places["market"]}


def test_a_case_without_dates_is_refused(db: Session, city: City) -> None:
    scenario = build(db, city)
    case = case_of(db, scenario.case_id)
    case.onset_date = None
    db.commit()
    with pytest.raises(InvalidInput, match="neither onset nor sampling"):
        service.trace_case(db, scenario.case_id, now=NOW)


def test_a_contact_without_a_report_for_24_hours_is_not_reporting(db: Session, city: City) -> None:
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    contact = db.scalar(
        select(Contact).where(Contact.contact_resident_id == city.residents["neighbour"])
    )
    assert contact is not None

    def state(at: datetime) -> str:
        reports = db.scalars(select(FollowUp).where(FollowUp.contact_id == contact.id)).all()
        return follow_up_status(contact, reports, now=at).state

    assert state(NOW + timedelta(hours=23)) == "pending"
    assert state(NOW + timedelta(hours=25)) == "not_reporting"
    worker = principal(db, "gridworker_g1")
    reported_at = NOW + timedelta(hours=26)
    service.record_follow_up(
        db, principal=worker, contact_id=contact.id, data=FollowUpIn(), now=reported_at
    )
    assert state(reported_at + timedelta(hours=23)) == "reporting"
    assert state(reported_at + timedelta(hours=25)) == "not_reporting"
    fever = FollowUpIn(temperature=37.8, note="发热 fever")
    later = reported_at + timedelta(hours=25)
    service.record_follow_up(db, principal=worker, contact_id=contact.id, data=fever, now=later)
    assert state(later) == "symptomatic"
    assert state(datetime.combine(contact.observation_ends_on, time(12), CHINA) + DAY) == "closed"


def test_follow_up_outside_the_observation_period_is_refused(db: Session, city: City) -> None:
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    contact_id = db.scalar(
        select(Contact.id).where(Contact.contact_resident_id == city.residents["neighbour"])
    )
    assert contact_id is not None
    with pytest.raises(InvalidInput, match="observed from 2026-02-09"):
        service.record_follow_up(
            db,
            principal=principal(db, "gridworker_g1"),
            contact_id=contact_id,
            data=FollowUpIn(day=date(2026, 2, 1)),
            now=NOW,
        )

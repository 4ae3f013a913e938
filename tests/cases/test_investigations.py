"""Investigations: the travel history feeds tracing (a stay told to the investigator makes a
close contact of whoever scanned in at the same place), edits re-queue tracing, bad entries
store nothing, and reads are scoped and audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases import investigations, service
from epicontrol.cases.models import CaseStatus, Investigation, TravelEntry
from epicontrol.cases.schemas import CaseIn, InvestigationIn, TravelEntryIn
from epicontrol.core.db import utcnow
from epicontrol.core.models import AuditEntry
from epicontrol.core.settings import Settings
from epicontrol.movements.models import Movement
from epicontrol.places.models import Place, PlaceKind
from epicontrol.tracing import service as tracing
from epicontrol.tracing.models import Contact, RunStatus, TracingRun
from tests.factories import City
from tests.tracing.store_scenario import (
    ISOLATED_AT,
    NOW,
    ONSET,
    add_places,
    add_stay,
    bearer,
    china,
    principal,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No tracing worker: these tests look at the queue of runs."""
    return settings.model_copy(update={"tracing_in_background": False})


def _confirmed_case(db: Session, city: City, who: str = "wang_father") -> int:
    data = CaseIn(
        resident_id=city.residents[who],
        status=CaseStatus.CONFIRMED,
        onset_date=ONSET,
        report_date=date(2026, 2, 11),
        isolated_at=ISOLATED_AT,
    )
    return service.create(db, principal=principal(db, "epidemiologist"), data=data, now=NOW).case.id


def test_a_stay_told_to_the_investigator_makes_close_contacts_when_traced(
    db: Session, city: City
) -> None:
    places = add_places(db, city)
    case_id = _confirmed_case(db, city)
    form = InvestigationIn(
        exposure_summary="去过超市和面馆",
        symptoms=["fever", "dry_cough"],
        travel=[
            TravelEntryIn(
                place_code="MKT-M1", started_at=china(9, "10:00"), ended_at=china(9, "10:40")
            ),
            TravelEntryIn(
                place_name="老王面馆",
                address="测试路 1 号",
                started_at=china(9, "12:00"),
                ended_at=china(9, "13:00"),
            ),
        ],
    )
    epidemiologist = principal(db, "epidemiologist")
    change = investigations.save(db, principal=epidemiologist, case_id=case_id, data=form, now=NOW)
    assert change.trace_reason == "travel history edited"
    noodles = db.scalar(select(Place).where(Place.name == "老王面馆"))
    assert noodles is not None and noodles.kind == PlaceKind.VENUE
    assert noodles.code == investigations.free_text_place_code("老王面馆", "测试路  1 号")
    # Others scanned in and out at the same places: 30 min with him, 10 min with him, 30 min.
    add_stay(
        db, city.residents["neighbour"], places["market"], china(9, "10:10"), china(9, "10:50")
    )
    add_stay(
        db, city.residents["m3_resident"], places["market"], china(9, "10:30"), china(9, "11:00")
    )
    add_stay(db, city.residents["m2_resident"], noodles.id, china(9, "12:30"), china(9, "13:30"))
    db.commit()

    run = tracing.trace_case(db, case_id, now=NOW)
    db.commit()
    assert run.status == RunStatus.DONE
    found = {
        (c.contact_resident_id, c.rule, c.place_id)
        for c in db.scalars(select(Contact).where(Contact.case_id == case_id, Contact.degree == 1))
    }
    assert found == {
        (city.residents["wang_mother"], "household", None),
        (city.residents["wang_child"], "household", None),
        (city.residents["neighbour"], "co_location", places["market"]),
        (city.residents["m2_resident"], "co_location", noodles.id),
    }, "10 minutes together (m3_resident) is not close contact"


def test_the_travel_history_is_stored_as_paired_movements_with_stable_uuids(
    db: Session, city: City
) -> None:
    add_places(db, city)
    case_id = _confirmed_case(db, city)
    stay = TravelEntryIn(
        place_code="RST-M3", started_at=china(9, "18:00"), ended_at=china(9, "19:30")
    )
    epidemiologist = principal(db, "epidemiologist")
    form = InvestigationIn(travel=[stay])
    investigations.save(db, principal=epidemiologist, case_id=case_id, data=form, now=NOW)
    [entry] = db.scalars(select(TravelEntry).where(TravelEntry.case_id == case_id))
    rows = db.scalars(select(Movement).where(Movement.kind == "investigation")).all()
    assert sorted((m.direction, m.occurred_at, m.client_uuid) for m in rows) == [
        ("in", stay.started_at, investigations.movement_uuid(case_id, entry.id, "in")),
        ("out", stay.ended_at, investigations.movement_uuid(case_id, entry.id, "out")),
    ]
    assert {m.resident_id for m in rows} == {city.residents["wang_father"]}
    # The same form again changes nothing and does not ask for tracing again.
    again = investigations.save(db, principal=epidemiologist, case_id=case_id, data=form, now=NOW)
    assert not again.needs_tracing
    # A changed stay replaces the old records: no stale stay lingers for tracing to find.
    moved = stay.model_copy(update={"ended_at": china(9, "20:00")})
    edit = InvestigationIn(travel=[moved])
    changed = investigations.save(db, principal=epidemiologist, case_id=case_id, data=edit, now=NOW)
    assert changed.needs_tracing
    db.commit()
    rows = db.scalars(select(Movement).where(Movement.kind == "investigation")).all()
    assert sorted((m.direction, m.occurred_at) for m in rows) == [
        ("in", stay.started_at),
        ("out", moved.ended_at),
    ]
    cleared = investigations.save(
        db, principal=epidemiologist, case_id=case_id, data=InvestigationIn(), now=NOW
    )
    assert cleared.needs_tracing
    assert db.scalar(select(func.count()).select_from(Movement)) == 0


def _recent(hours_ago: int, length_minutes: int) -> dict[str, str]:
    start = utcnow().replace(microsecond=0) - timedelta(hours=hours_ago)
    return {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=length_minutes)).isoformat(),
    }


def test_editing_the_travel_history_of_a_traced_case_queues_tracing_again(
    client: TestClient, city: City, db: Session
) -> None:
    add_places(db, city)
    db.commit()
    headers = bearer(db, "epidemiologist")
    today = utcnow().date()
    body = {
        "resident_id": city.residents["neighbour"],
        "status": "confirmed",
        "onset_date": str(today - timedelta(days=1)),
    }
    case = client.post("/api/cases", json=body, headers=headers).json()

    def queued() -> list[TracingRun]:
        db.expire_all()
        query = select(TracingRun).where(
            TracingRun.case_id == case["id"], TracingRun.status == RunStatus.QUEUED.value
        )
        return list(db.scalars(query))

    [first] = queued()
    first.status = RunStatus.DONE.value  # as if the worker had traced it
    db.commit()
    form = {
        "exposure_summary": "家庭聚餐",
        "symptoms": ["fever"],
        "travel": [{"place_code": "MKT-M1", **_recent(20, 45)}],
    }
    url = f"/api/cases/{case['id']}/investigation"
    saved = client.put(url, json=form, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["travel"][0]["place_name"] == "测试超市"
    [run] = queued()
    assert run.reason == "travel history edited"
    run.status = RunStatus.DONE.value
    db.commit()
    form["exposure_summary"] = "家庭聚餐, 无外出"
    assert client.put(url, json=form, headers=headers).status_code == 200
    assert queued() == [], "the travel did not change: nothing new to trace"
    read = client.get(url, headers={**headers, "X-Purpose": "verify travel"})
    assert read.json()["exposure_summary"] == "家庭聚餐, 无外出"
    db.expire_all()
    entry = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == "investigation")
        .order_by(AuditEntry.id.desc())
    )
    assert entry is not None and (entry.action, entry.purpose) == ("read", "verify travel")


def test_bad_travel_entries_are_all_reported_and_nothing_is_stored(
    client: TestClient, city: City, db: Session
) -> None:
    headers = bearer(db, "epidemiologist")
    body = {"resident_id": city.residents["neighbour"], "onset_date": str(utcnow().date())}
    case = client.post("/api/cases", json=body, headers=headers).json()
    future = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    form = {
        "travel": [
            {"place_name": "新开的店", **_recent(5, 30)},
            {"place_code": "NO-SUCH", **_recent(5, 30)},
            {"place_name": "倒流", **_recent(5, -30)},
            {
                "place_name": "明天",
                "started_at": future.isoformat(),
                "ended_at": (future + timedelta(hours=1)).isoformat(),
            },
            {"place_name": "太久", **_recent(50, 25 * 60)},
        ]
    }
    response = client.put(f"/api/cases/{case['id']}/investigation", json=form, headers=headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    for expected in (
        "travel entry 2: no place has the code 'NO-SUCH'",
        "travel entry 3: ended_at must be after started_at",
        "travel entry 4: ended_at",
        "in the future",
        "travel entry 5: a stay is at most 24 hours",
        "Nothing stored",
    ):
        assert expected in detail
    assert "travel entry 1" not in detail
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Investigation)) == 0
    assert db.scalar(select(func.count()).select_from(Movement)) == 0
    assert db.scalar(select(Place.id).where(Place.name == "新开的店")) is None
    both = {"travel": [{"place_code": "GATE-M1", "place_name": "x", **_recent(5, 30)}]}
    refused = client.put(f"/api/cases/{case['id']}/investigation", json=both, headers=headers)
    assert refused.status_code == 422
    assert "either place_code" in refused.text


def test_an_epidemiologist_of_another_division_may_not_read_or_edit_the_investigation(
    client: TestClient, city: City, db: Session
) -> None:
    body = {"resident_id": city.residents["m3_resident"], "onset_date": str(utcnow().date())}
    case = client.post("/api/cases", json=body, headers=bearer(db, "admin")).json()
    url = f"/api/cases/{case['id']}/investigation"
    admin_form = {"exposure_summary": "x", "travel": []}
    assert client.put(url, json=admin_form, headers=bearer(db, "admin")).status_code == 200
    headers = bearer(db, "epidemiologist")  # district d1; the case lives in d2
    assert client.get(url, headers=headers).status_code == 403
    edit = client.put(url, json={"exposure_summary": "y"}, headers=headers)
    assert edit.status_code == 403
    assert "outside your scope" in edit.json()["detail"]
    assert client.put(url, json=admin_form, headers=bearer(db, "commander")).status_code == 403

"""Who is under observation: contacts and risk-area arrivals become observations, once."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.divisions.models import Division
from epicontrol.reports.monitoring import sync_observations
from epicontrol.reports.monitoring_models import Observation, ObservationSource
from tests.factories import City, login
from tests.tasks.monitoring_fixtures import (
    NOW,
    TODAY,
    add_case,
    add_contact,
    add_risk_arrival,
    local,
)


def _sync(db: Session, city: City, division: str = "city", now=NOW):  # type: ignore[no-untyped-def]
    result = sync_observations(
        db, division=db.get_one(Division, city.divisions[division]), day=TODAY, now=now
    )
    db.commit()
    return result


def _observations(db: Session) -> list[Observation]:
    return list(db.scalars(select(Observation).order_by(Observation.id)))


def test_close_contact_is_observed_until_14_days_after_last_exposure(
    db: Session, city: City
) -> None:
    last_exposure = local(TODAY - timedelta(days=4), 19, 30)
    close = add_contact(
        db, city, "wang_father", last_exposure_at=last_exposure, found_at=NOW - timedelta(hours=5)
    )
    add_contact(db, city, "neighbour", degree=2, last_exposure_at=last_exposure, found_at=NOW)
    db.commit()

    result = _sync(db, city)

    assert (result.observations_created, result.sources_added) == (2, 2)
    first, second = _observations(db)
    assert first.resident_id == city.residents["wang_father"]
    assert first.reason == "close_contact" and second.reason == "secondary_contact"
    assert first.starts_on == TODAY
    # DESIGN.md: 14 days from the last exposure (a local date, 6 February + 14).
    assert (
        first.ends_on
        == (TODAY - timedelta(days=4)) + timedelta(days=14)
        == close.observation_ends_on
    )
    assert first.division_id == city.divisions["g1"]
    [source] = db.scalars(
        select(ObservationSource).where(ObservationSource.observation_id == first.id)
    )
    assert source.source_ref == f"contact:{close.id}"


def test_running_the_generation_again_adds_nothing(db: Session, city: City) -> None:
    add_contact(db, city, "wang_father", last_exposure_at=NOW - timedelta(days=2), found_at=NOW)
    add_risk_arrival(db, city, "wang_mother", at=NOW - timedelta(hours=1))
    db.commit()
    assert _sync(db, city).observations_created == 2

    again = _sync(db, city, now=NOW + timedelta(hours=1))

    assert (again.observations_created, again.observations_extended, again.sources_added) == (
        0,
        0,
        0,
    )
    assert db.scalar(select(func.count()).select_from(Observation)) == 2
    assert db.scalar(select(func.count()).select_from(ObservationSource)) == 2


def test_a_later_exposure_extends_the_open_episode_instead_of_adding_one(
    db: Session, city: City
) -> None:
    add_contact(db, city, "wang_father", last_exposure_at=NOW - timedelta(days=6), found_at=NOW)
    db.commit()
    _sync(db, city)
    [episode] = _observations(db)
    first_end = episode.ends_on
    later_case = add_case(db, city, "m3_resident")
    add_contact(
        db,
        city,
        "wang_father",
        last_exposure_at=NOW - timedelta(days=1),
        found_at=NOW,
        case=later_case,
    )
    db.commit()

    result = _sync(db, city)

    assert (result.observations_created, result.observations_extended) == (0, 1)
    [episode] = _observations(db)
    db.refresh(episode)
    assert episode.ends_on == first_end + timedelta(days=5)


def test_arrival_from_a_risk_area_is_observed_14_days_from_arrival(db: Session, city: City) -> None:
    arrival = add_risk_arrival(db, city, "wang_father", at=local(TODAY, 8, 15))
    add_risk_arrival(db, city, None, at=local(TODAY, 8, 20))  # unregistered: nobody to ask
    add_risk_arrival(db, city, "neighbour", at=local(TODAY, 8, 30), origin="110105")  # Beijing
    db.commit()

    _sync(db, city, "m1")

    [observation] = _observations(db)
    assert observation.resident_id == city.residents["wang_father"]
    assert observation.reason == "risk_area_arrival"
    assert (observation.starts_on, observation.ends_on) == (TODAY, TODAY + timedelta(days=14))
    [source] = db.scalars(select(ObservationSource))
    assert source.source_ref == f"arrival:{arrival.id}"


def test_withdrawn_contacts_and_other_divisions_are_left_out(db: Session, city: City) -> None:
    add_contact(
        db,
        city,
        "wang_father",
        last_exposure_at=NOW - timedelta(days=2),
        found_at=NOW,
        withdrawn=True,
    )
    add_contact(db, city, "neighbour", last_exposure_at=NOW - timedelta(days=2), found_at=NOW)
    db.commit()

    assert _sync(db, city, "m3").observations_created == 0  # neighbour lives in m1
    assert _sync(db, city, "m1").observations_created == 1
    [observation] = _observations(db)
    assert observation.resident_id == city.residents["neighbour"]


def test_a_closed_observation_is_not_reopened_by_the_same_contact(db: Session, city: City) -> None:
    add_contact(db, city, "wang_father", last_exposure_at=NOW - timedelta(days=2), found_at=NOW)
    db.commit()
    _sync(db, city)
    [observation] = _observations(db)
    observation.closed_at, observation.close_reason = NOW, "admitted to hospital"
    db.commit()

    assert _sync(db, city, now=NOW + timedelta(hours=2)).observations_created == 0
    assert len(_observations(db)) == 1


def test_observation_closes_when_the_person_becomes_a_case_or_the_contact_is_withdrawn(
    db: Session, city: City
) -> None:
    add_contact(db, city, "wang_father", last_exposure_at=NOW - timedelta(days=2), found_at=NOW)
    withdrawn = add_contact(
        db, city, "neighbour", last_exposure_at=NOW - timedelta(days=2), found_at=NOW
    )
    add_contact(db, city, "wang_mother", last_exposure_at=NOW - timedelta(days=2), found_at=NOW)
    db.commit()
    assert _sync(db, city).observations_created == 3
    add_case(db, city, "wang_father")  # confirmed
    suspected = add_case(db, city, "wang_mother")
    db.get_one(Case, suspected[0]).status = "suspected"  # may yet be ruled out: still observed
    withdrawn.withdrawn_at = NOW + timedelta(hours=1)
    db.commit()

    result = _sync(db, city, now=NOW + timedelta(hours=2))

    assert result.observations_closed == 2
    by_resident = {o.resident_id: o for o in _observations(db)}
    father = by_resident[city.residents["wang_father"]]
    assert father.closed_by == "system:monitoring" and "became a case" in (
        father.close_reason or ""
    )
    assert "withdrawn" in (by_resident[city.residents["neighbour"]].close_reason or "")
    assert by_resident[city.residents["wang_mother"]].closed_at is None
    assert _sync(db, city, now=NOW + timedelta(hours=3)).observations_closed == 0


def test_a_day_at_the_edge_of_the_calendar_is_a_422_not_a_500(
    client: TestClient, city: City
) -> None:
    """Found by fuzzing: 0001-01-01's local midnight is no UTC datetime (OverflowError)."""
    headers = login(client, "admin")
    for day in ("0001-01-01", "9999-12-31"):
        response = client.post(
            "/api/monitoring/observations/sync",
            params={"division_id": city.divisions["m1"], "day": day},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        assert "out of range" in response.json()["detail"]

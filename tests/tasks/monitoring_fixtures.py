"""Builders shared by the monitoring and task tests: cases with contacts, risk-area arrivals,
observations and daily reports, at times the test chooses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.movements.models import Movement, RiskArea
from epicontrol.places.models import Place
from epicontrol.reports.monitoring_models import DailyReport, Observation, ObservationReason
from epicontrol.tracing.models import Contact, TracingRun
from epicontrol.tracing.rules import observation_ends_at, to_epoch_seconds
from tests import factories
from tests.factories import City

# 10:00 on 10 February 2020 in China: a fixed `now` for the state tests.
NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)
TODAY = local_date(NOW)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of a local (China) day, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), LOCAL_TIME)


def add_case(db: Session, city: City, resident: str = "m2_resident") -> tuple[int, int]:
    """A confirmed case and a finished tracing run of it: (case_id, run_id)."""
    number = f"C2020-{uuid4().hex[:6]}"
    case = Case(
        case_number=number,
        resident_id=city.residents[resident],
        division_id=city.divisions["g3"],
        status="confirmed",
        onset_date=TODAY - timedelta(days=6),
        report_date=TODAY - timedelta(days=3),
        created_by="epidemiologist",
    )
    db.add(case)
    db.flush()
    run = TracingRun(case_id=case.id, status="done", queued_at=NOW)
    db.add(run)
    db.flush()
    return case.id, run.id


def add_contact(
    db: Session,
    city: City,
    resident: str,
    *,
    degree: int = 1,
    last_exposure_at: datetime,
    found_at: datetime,
    case: tuple[int, int] | None = None,
    withdrawn: bool = False,
) -> Contact:
    """A contact of a (new) case, with the end of observation tracing/rules.py gives."""
    case_id, run_id = case or add_case(db, city)
    ends_s = observation_ends_at(to_epoch_seconds(last_exposure_at))
    contact = Contact(
        case_id=case_id,
        contact_resident_id=city.residents[resident],
        division_id=city.divisions["g1"],
        degree=degree,
        rule="co_location",
        first_exposure_at=last_exposure_at - timedelta(hours=1),
        last_exposure_at=last_exposure_at,
        minutes=60,
        observation_ends_on=datetime.fromtimestamp(ends_s, LOCAL_TIME).date(),
        run_id=run_id,
        created_at=found_at,
        withdrawn_at=found_at if withdrawn else None,
    )
    db.add(contact)
    db.flush()
    return contact


def add_risk_arrival(
    db: Session, city: City, resident: str | None, *, at: datetime, origin: str = "420106"
) -> Movement:
    """Wuhan (4201) declared a risk area, and an "in" scan at the m1 gate coming from `origin`."""
    if db.scalar(select(RiskArea.id).where(RiskArea.region_code == "4201")) is None:
        db.add(
            RiskArea(
                region_code="4201",
                name="武汉市",
                starts_on=local_date(at) - timedelta(days=20),
                created_by="commander",
            )
        )
    gate = db.scalars(select(Place.id).where(Place.code == "GATE-M1")).one()
    movement = Movement(
        client_uuid=str(uuid4()),
        kind="scan",
        direction="in",
        resident_id=city.residents[resident] if resident else None,
        person_hash=None if resident else "f" * 64,
        place_id=gate,
        occurred_at=at,
        day=at.astimezone(UTC).date(),
        origin=origin,
    )
    db.add(movement)
    db.flush()
    return movement


def observe(
    db: Session,
    city: City,
    resident: str,
    *,
    since: datetime,
    days: int = 14,
    reason: ObservationReason = ObservationReason.CLOSE_CONTACT,
    grid: str = "g1",
) -> Observation:
    """An observation that began at `since` and runs `days` days."""
    observation = Observation(
        resident_id=city.residents[resident],
        division_id=city.divisions[grid],
        reason=reason.value,
        starts_on=local_date(since),
        ends_on=local_date(since) + timedelta(days=days),
        last_exposure_at=since - timedelta(days=1),
        created_at=since,
    )
    db.add(observation)
    db.flush()
    return observation


def report(
    db: Session,
    city: City,
    resident: str,
    *,
    at: datetime,
    temperature: float = 36.6,
    symptoms: str = "",
) -> DailyReport:
    """A daily report submitted at `at`."""
    row = DailyReport(
        resident_id=city.residents[resident],
        day=local_date(at),
        temperature=temperature,
        symptoms=symptoms,
        is_symptomatic=bool(symptoms) or temperature >= 37.3,
        is_at_home=True,
        note="",
        submitted_at=at,
        submissions=1,
    )
    db.add(row)
    db.flush()
    return row


def login(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers for a test user, logging in once per app (password hashing is slow)."""
    tokens: dict[str, dict[str, str]] = client.app.state.__dict__.setdefault("test_logins", {})  # type: ignore[attr-defined]
    if username not in tokens:
        tokens[username] = factories.login(client, username)
    return tokens[username]

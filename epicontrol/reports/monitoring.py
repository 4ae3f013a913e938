"""Who is under observation: observations generated from contacts and risk-area arrivals
(idempotent, per division and day), and closing them early."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from epicontrol.cases.models import Case, CaseStatus
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division
from epicontrol.movements import presence_queries
from epicontrol.people.models import Resident
from epicontrol.reports.monitoring_models import (
    Observation,
    ObservationReason,
    ObservationSource,
    SourceKind,
)
from epicontrol.reports.monitoring_rules import ARRIVAL_OBSERVATION_DAYS
from epicontrol.reports.monitoring_schemas import SyncOut
from epicontrol.tracing.models import Contact

# Arrivals of the day before are looked at again: a checkpoint offline at midnight uploads its
# records late, and a run just after midnight would otherwise never see them.
ARRIVAL_CATCH_UP_DAYS = 1
SYSTEM_ACTOR = "system:monitoring"
# A contact who is found infected leaves observation for isolation and treatment (Sara Alert
# moves such a monitoree from the exposure to the isolation workflow). A suspected case stays:
# a suspected case may be ruled out and go back to observation.
INFECTED = (CaseStatus.CONFIRMED.value, CaseStatus.ASYMPTOMATIC.value)
REASON_BY_DEGREE = {1: ObservationReason.CLOSE_CONTACT, 2: ObservationReason.SECONDARY_CONTACT}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record that puts a resident under observation from `starts_on` to `ends_on`."""

    source_kind: SourceKind
    source_id: int
    resident_id: int
    division_id: int
    reason: ObservationReason
    starts_on: date
    ends_on: date
    last_exposure_at: datetime


def sync_observations(db: Session, *, division: Division, day: date, now: datetime) -> SyncOut:
    """Open or extend observations for the contacts living in `division`'s subtree and the
    arrivals from risk areas into it, as of local `day`. Running it again adds nothing: each
    source record is stored once (ObservationSource is unique), and a closed episode stays
    closed. One episode per person and reason: a new source while it is open extends it."""
    candidates = [*contact_candidates(db, division, day), *arrival_candidates(db, division, day)]
    created = extended = 0
    open_episodes = _open_episodes(db, {c.resident_id for c in candidates}, day)
    for candidate in sorted(candidates, key=lambda c: (c.starts_on, c.source_kind, c.source_id)):
        key = (candidate.resident_id, candidate.reason.value)
        episode = open_episodes.get(key)
        if episode is None or episode.ends_on < candidate.starts_on:
            episode = _new_episode(candidate, now)
            db.add(episode)
            db.flush()
            open_episodes[key] = episode
            created += 1
        elif candidate.ends_on > episode.ends_on:
            episode.ends_on = candidate.ends_on
            episode.last_exposure_at = max(episode.last_exposure_at, candidate.last_exposure_at)
            extended += 1
        db.add(
            ObservationSource(
                observation_id=episode.id,
                source_kind=candidate.source_kind.value,
                source_id=candidate.source_id,
                ends_on=candidate.ends_on,
                created_at=now,
            )
        )
    db.flush()
    closed = close_ended(db, division=division, day=day, now=now)
    return SyncOut(
        division_id=division.id,
        day=day,
        observations_created=created,
        observations_extended=extended,
        sources_added=len(candidates),
        observations_closed=closed,
    )


def close_ended(db: Session, *, division: Division, day: date, now: datetime) -> int:
    """Close open episodes in the subtree whose person became a case (confirmed or
    asymptomatic: isolated and treated, no longer observed), or whose every source is a contact
    a later tracing run withdrew. Returns how many were closed."""
    rows = db.execute(
        select(Observation, ObservationSource.source_kind, Contact.withdrawn_at)
        .join(Division, Division.id == Observation.division_id)
        .join(ObservationSource, ObservationSource.observation_id == Observation.id)
        .outerjoin(Contact, _contact_source())
        .where(
            Division.path.startswith(division.path, autoescape=True),
            Observation.closed_at.is_(None),
            Observation.ends_on >= day,
        )
    ).all()
    withdrawn: dict[int, bool] = {}
    episodes: dict[int, Observation] = {}
    for observation, kind, withdrawn_at in rows:
        episodes[observation.id] = observation
        gone = kind == SourceKind.CONTACT.value and withdrawn_at is not None
        withdrawn[observation.id] = withdrawn.get(observation.id, True) and gone
    infected = _infected(db, {o.resident_id for o in episodes.values()})
    closed = 0
    for observation in episodes.values():
        if observation.resident_id in infected:
            reason = "确诊或无症状感染 became a case: isolated and treated"
        elif withdrawn[observation.id]:
            reason = "追踪复核撤销 contact withdrawn by a later tracing run"
        else:
            continue
        observation.closed_at, observation.closed_by = now, SYSTEM_ACTOR
        observation.close_reason = reason
        audit.record(
            db,
            actor=SYSTEM_ACTOR,
            action="close",
            entity="observation",
            entity_id=observation.resident_id,
            purpose="daily monitoring",
            detail={"observations": [observation.id], "reason": reason},
        )
        closed += 1
    return closed


def contact_candidates(db: Session, division: Division, day: date) -> list[Candidate]:
    """Close and secondary contacts living in the subtree, found by `day`, still observed that
    day, not withdrawn, and not yet the source of an observation."""
    _, day_end = presence_queries.local_day_bounds(day)
    rows = db.execute(
        select(
            Contact.id,
            Contact.contact_resident_id,
            Contact.degree,
            Contact.created_at,
            Contact.last_exposure_at,
            Contact.observation_ends_on,
            Resident.division_id,
        )
        .join(Resident, Resident.id == Contact.contact_resident_id)
        .join(Division, Division.id == Resident.division_id)
        .outerjoin(ObservationSource, _source_is(SourceKind.CONTACT, Contact.id))
        .where(
            Division.path.startswith(division.path, autoescape=True),
            Contact.withdrawn_at.is_(None),
            Contact.observation_ends_on >= day,
            Contact.created_at < day_end,
            ObservationSource.id.is_(None),
        )
    )
    return [
        Candidate(
            source_kind=SourceKind.CONTACT,
            source_id=row.id,
            resident_id=row.contact_resident_id,
            division_id=row.division_id,
            reason=REASON_BY_DEGREE.get(row.degree, ObservationReason.SECONDARY_CONTACT),
            # Monitoring starts when the contact is found: nobody reports for days before.
            starts_on=local_date(row.created_at),
            # tracing/service.py computed it with tracing/rules.py: 14 days after last exposure.
            ends_on=row.observation_ends_on,
            last_exposure_at=row.last_exposure_at,
        )
        for row in rows
    ]


def arrival_candidates(db: Session, division: Division, day: date) -> list[Candidate]:
    """Registered residents who arrived in the subtree from a risk area on `day` or the day
    before (movements.presence's definition of an arrival), not yet a source."""
    found: list[Candidate] = []
    for back in range(ARRIVAL_CATCH_UP_DAYS, -1, -1):
        arrival_day = day - timedelta(days=back)
        arrived = presence_queries.arrivals_subquery(division, arrival_day)
        a = arrived.c
        rows = db.execute(
            select(a.id, a.resident_id, a.at, Resident.division_id)
            .select_from(arrived)
            .join(Resident, Resident.id == a.resident_id)
            .outerjoin(ObservationSource, _source_is(SourceKind.ARRIVAL, a.id))
            .where(a.risk_area.isnot(None), ObservationSource.id.is_(None))
        )
        found.extend(
            Candidate(
                source_kind=SourceKind.ARRIVAL,
                source_id=row.id,
                resident_id=row.resident_id,
                division_id=row.division_id,
                reason=ObservationReason.RISK_AREA_ARRIVAL,
                starts_on=arrival_day,
                ends_on=arrival_day + timedelta(days=ARRIVAL_OBSERVATION_DAYS),
                last_exposure_at=row.at,
            )
            for row in rows
        )
    return found


def close_person(
    db: Session, *, principal: Principal, resident_id: int, reason: str, now: datetime
) -> list[Observation]:
    """End every open observation of a resident in the caller's scope, with the reason;
    audited. Conflict if there is none open."""
    rows = db.execute(
        select(Observation, Division.path)
        .join(Division, Division.id == Observation.division_id)
        .where(Observation.resident_id == resident_id)
    ).all()
    if not rows:
        raise NotFound(f"resident {resident_id} has never been under observation")
    if not any(principal.covers(path) for _, path in rows):
        raise AccessDenied(
            f"resident {resident_id} is observed outside your scope",
            action=str(Permission.MONITORING_MANAGE),
            entity="observation",
            entity_id=str(resident_id),
        )
    today = local_date(now)
    closing = [o for o, path in rows if principal.covers(path) and is_open(o, today)]
    if not closing:
        raise Conflict(f"resident {resident_id} has no open observation to close")
    for observation in closing:
        observation.closed_at = now
        observation.closed_by = principal.username
        observation.close_reason = reason.strip()[:400]
    audit.record(
        db,
        actor=principal,
        action="close",
        entity="observation",
        entity_id=resident_id,
        purpose="daily monitoring",
        detail={"observations": [o.id for o in closing], "reason": reason.strip()[:200]},
    )
    db.flush()
    return closing


def is_open(observation: Observation, today: date) -> bool:
    """Whether the episode is running on local `today`: not closed, not yet ended."""
    return observation.closed_at is None and observation.starts_on <= today <= observation.ends_on


def _source_is(kind: SourceKind, source_id: Any) -> ColumnElement[bool]:
    return and_(
        ObservationSource.source_kind == kind.value, ObservationSource.source_id == source_id
    )


def _contact_source() -> ColumnElement[bool]:
    return and_(
        ObservationSource.source_kind == SourceKind.CONTACT.value,
        Contact.id == ObservationSource.source_id,
    )


def _infected(db: Session, resident_ids: set[int]) -> set[int]:
    """Those of the residents who are now a confirmed or asymptomatic case."""
    ids = sorted(resident_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(
            db.scalars(
                select(Case.resident_id).where(
                    Case.resident_id.in_(ids[start : start + 500]), Case.status.in_(INFECTED)
                )
            )
        )
    return found


def _open_episodes(
    db: Session, resident_ids: Iterable[int], day: date
) -> dict[tuple[int, str], Observation]:
    ids = sorted(resident_ids)
    episodes: dict[tuple[int, str], Observation] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists on both databases
        chunk = ids[start : start + 500]
        query = (
            select(Observation)
            .where(
                Observation.resident_id.in_(chunk),
                Observation.closed_at.is_(None),
                Observation.ends_on >= day - timedelta(days=ARRIVAL_CATCH_UP_DAYS),
            )
            .order_by(Observation.ends_on)
        )
        for episode in db.scalars(query):
            episodes[(episode.resident_id, episode.reason)] = episode  # the latest-ending wins
    return episodes


def _new_episode(candidate: Candidate, now: datetime) -> Observation:
    return Observation(
        resident_id=candidate.resident_id,
        division_id=candidate.division_id,
        reason=candidate.reason.value,
        starts_on=candidate.starts_on,
        ends_on=candidate.ends_on,
        last_exposure_at=candidate.last_exposure_at,
        created_at=now,
    )

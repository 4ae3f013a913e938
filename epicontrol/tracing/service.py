"""Tracing a case from the store: run the engine, keep the case's contacts in step, audited;
quarantine and daily follow-up of the contacts found."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from epicontrol.cases import service as cases
from epicontrol.cases.models import Case
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import InvalidInput, NotFound
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.people.models import Resident
from epicontrol.tracing import follow_ups, schema
from epicontrol.tracing.contacts import load_visible
from epicontrol.tracing.models import Contact, ContactExposure, FollowUp, RunStatus, TracingRun
from epicontrol.tracing.rules import DEFAULT_RULES, TracingRules, observation_ends_at
from epicontrol.tracing.schemas import FollowUpIn
from epicontrol.tracing.store_source import trace_from_store

DEFAULT_ENGINE = "duckdb"
# Which exposure names a contact when there are several: living together outranks sharing a
# carriage, which outranks meeting at a place (how close and how long, in that order).
RULE_STRENGTH = {"household": 0, "same_carriage": 1, "co_location": 2}


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What a run changed in a case's contacts."""

    close: int
    secondary: int
    removed: int
    withdrawn: int


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def trace_case(
    db: Session,
    case_id: int,
    *,
    now: datetime,
    run: TracingRun | None = None,
    actor: Principal | None = None,
    rules: TracingRules = DEFAULT_RULES,
    engine_name: str = DEFAULT_ENGINE,
) -> TracingRun:
    """Trace one case as of `now` and replace its contacts with what the engine finds; the run
    (a claimed one from the queue, or a new one) ends done. Running it twice changes nothing."""
    case = db.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    if case.onset_date is None and case.sampling_date is None:
        raise InvalidInput(f"case {case.case_number} has neither onset nor sampling date")
    if run is None:
        run = TracingRun(
            case_id=case.id,
            status=RunStatus.RUNNING.value,
            engine=engine_name,
            reason="traced by hand" if actor else "traced",
            requested_by=actor.username if actor else "system",
            queued_at=now,
            started_at=now,
        )
        db.add(run)
        db.flush()
    found = trace_from_store(db, case, now=now, rules=rules, engine_name=engine_name)
    summary = replace_contacts(db, case=case, found=found, run=run, now=now, rules=rules)
    run.status = RunStatus.DONE.value
    run.finished_at = utcnow()
    run.contacts_found = summary.close + summary.secondary
    run.error = ""
    audit.record(
        db,
        actor=actor,
        action="trace",
        entity="case",
        entity_id=case.id,
        purpose="contact tracing",
        detail={
            "run_id": run.id,
            # The worker traces as no one: the run names who asked for it.
            "requested_by": run.requested_by,
            "close_contacts": summary.close,
            "secondary_contacts": summary.secondary,
            "removed": summary.removed,
            "withdrawn": summary.withdrawn,
        },
    )
    db.flush()
    return run


def _episodes(found: pa.Table) -> dict[tuple[int, int], list[dict[str, Any]]]:
    by_contact: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in found.to_pylist():
        by_contact[(row["contact_resident_id"], row["degree"])].append(row)
    return by_contact


def _strongest(episodes: list[dict[str, Any]]) -> dict[str, Any]:
    return min(
        episodes,
        key=lambda e: (RULE_STRENGTH.get(e["rule"], 9), -e["minutes"], e["overlap_start_s"]),
    )


def replace_contacts(
    db: Session,
    *,
    case: Case,
    found: pa.Table,
    run: TracingRun,
    now: datetime,
    rules: TracingRules = DEFAULT_RULES,
) -> SyncSummary:
    """Make the case's contacts those in `found` (schema.CONTACTS), one row per contact and
    degree with its episodes as exposures. Contacts that are no longer found are deleted, or
    withdrawn if follow-ups were recorded for them (those records are kept)."""
    grouped = _episodes(found)
    residents = sorted({resident for resident, _ in grouped})
    query = select(Resident.id, Resident.division_id).where(Resident.id.in_(residents))
    grids = {resident: division for resident, division in db.execute(query)}
    existing = {
        (c.contact_resident_id, c.degree): c
        for c in db.scalars(select(Contact).where(Contact.case_id == case.id))
    }
    kept = [c.id for key, c in existing.items() if key in grouped]
    if kept:
        db.execute(delete(ContactExposure).where(ContactExposure.contact_id.in_(kept)))
    for key, episodes in grouped.items():
        contact = existing.get(key) or Contact(
            case_id=case.id, contact_resident_id=key[0], degree=key[1], created_at=now
        )
        _fill(contact, episodes, division_id=grids[key[0]], run=run, rules=rules)
        if contact.id is None:
            db.add(contact)
    db.flush()
    contact_ids = {
        (c.contact_resident_id, c.degree): c.id
        for c in db.scalars(select(Contact).where(Contact.case_id == case.id))
    }
    db.add_all(
        ContactExposure(
            contact_id=contact_ids[key],
            rule=e["rule"],
            place_id=e["place_id"],
            via_resident_id=e["via_resident_id"],
            start_at=_at(e["overlap_start_s"]),
            end_at=_at(e["overlap_end_s"]),
            minutes=e["minutes"],
        )
        for key, episodes in grouped.items()
        for e in episodes
    )
    removed, withdrawn = _drop_stale(db, [c for k, c in existing.items() if k not in grouped], now)
    db.flush()
    degrees = [degree for _, degree in grouped]
    return SyncSummary(degrees.count(1), degrees.count(2), removed, withdrawn)


def _fill(
    contact: Contact,
    episodes: list[dict[str, Any]],
    *,
    division_id: int,
    run: TracingRun,
    rules: TracingRules,
) -> None:
    main = _strongest(episodes)
    last_s = max(e["overlap_end_s"] for e in episodes)
    ends_at = _at(observation_ends_at(last_s, rules=rules))
    contact.division_id = division_id
    contact.rule = main["rule"]
    contact.place_id = main["place_id"]
    contact.via_resident_id = main["via_resident_id"]
    contact.first_exposure_at = _at(min(e["overlap_start_s"] for e in episodes))
    contact.last_exposure_at = _at(last_s)
    # Summed over episodes: a household exposure counts its whole period.
    contact.minutes = sum(e["minutes"] for e in episodes)
    contact.observation_ends_on = ends_at.astimezone(LOCAL_TIME).date()
    contact.run_id = run.id
    contact.withdrawn_at = None


def _drop_stale(db: Session, stale: list[Contact], now: datetime) -> tuple[int, int]:
    if not stale:
        return 0, 0
    ids = [c.id for c in stale]
    followed = set(
        db.scalars(select(FollowUp.contact_id).where(FollowUp.contact_id.in_(ids)).distinct())
    )
    gone = [i for i in ids if i not in followed]
    db.execute(delete(ContactExposure).where(ContactExposure.contact_id.in_(ids)))
    if gone:
        db.execute(delete(Contact).where(Contact.id.in_(gone)))
    withdrawn = 0
    for contact in stale:
        if contact.id in followed and contact.withdrawn_at is None:
            contact.withdrawn_at = now
            withdrawn += 1
    return len(gone), withdrawn


def record_follow_up(
    db: Session, *, principal: Principal, contact_id: int, data: FollowUpIn, now: datetime
) -> FollowUp:
    """A day's report of a contact the caller may see (follows up, or investigates)."""
    row = load_visible(db, principal=principal, contact_id=contact_id, action="contact:write")
    return follow_ups.record(db, principal=principal, contact=row.contact, data=data, now=now)


def set_quarantine(
    db: Session, *, principal: Principal, contact_id: int, quarantined_at: datetime, now: datetime
) -> Contact:
    """Record when a contact was quarantined: it ends the period in which their own contacts
    become secondary contacts, so the caller re-traces the case (background.request_trace)."""
    if quarantined_at > now:
        raise InvalidInput(f"quarantined_at {quarantined_at.isoformat()} is in the future")
    row = load_visible(db, principal=principal, contact_id=contact_id, action="contact:write")
    contact = row.contact
    previous = contact.quarantined_at
    contact.quarantined_at = quarantined_at
    audit.record(
        db,
        actor=principal,
        action="quarantine",
        entity="contact",
        entity_id=contact.id,
        purpose="medical observation",
        detail={
            "from": previous.isoformat() if previous else None,
            "to": quarantined_at.isoformat(),
        },
    )
    db.flush()
    return contact


def runs_for_case(db: Session, *, principal: Principal, case_id: int) -> list[TracingRun]:
    """The tracing runs of a case in the caller's scope, newest first."""
    cases.get_visible(db, principal=principal, case_id=case_id)
    query = select(TracingRun).where(TracingRun.case_id == case_id).order_by(TracingRun.id.desc())
    return list(db.scalars(query.limit(50)))


@dataclass(frozen=True, slots=True)
class CaseLine:
    """A case of the workbench's line list, with its contact counts and latest run."""

    case: Case
    name_masked: str
    close: int
    secondary: int
    run: TracingRun | None


def case_lines(db: Session, rows: list[Case]) -> list[CaseLine]:
    """Line-list rows of these cases: three queries, whatever their number."""
    ids = [c.id for c in rows]
    counts: dict[tuple[int, int], int] = {}
    names: dict[int, str] = {}
    latest: dict[int, TracingRun] = {}
    if ids:
        grouped = (
            select(Contact.case_id, Contact.degree, func.count())
            .where(Contact.case_id.in_(ids), Contact.withdrawn_at.is_(None))
            .group_by(Contact.case_id, Contact.degree)
        )
        counts = {(case, degree): n for case, degree, n in db.execute(grouped)}
        residents = [c.resident_id for c in rows]
        query = select(Resident.id, Resident.name_masked).where(Resident.id.in_(residents))
        names = {resident: name for resident, name in db.execute(query)}
        newest = select(func.max(TracingRun.id)).where(TracingRun.case_id.in_(ids))
        runs = select(TracingRun).where(
            TracingRun.id.in_(newest.group_by(TracingRun.case_id).scalar_subquery())
        )
        latest = {run.case_id: run for run in db.scalars(runs)}
    return [
        CaseLine(
            case=c,
            name_masked=names.get(c.resident_id, ""),
            close=counts.get((c.id, 1), 0),
            secondary=counts.get((c.id, 2), 0),
            run=latest.get(c.id),
        )
        for c in rows
    ]


def stored_contacts(db: Session, *, case_id: int) -> pa.Table:
    """The case's current exposures back in schema.CONTACTS form (for chains and figures)."""
    query = (
        select(
            Contact.case_id,
            Case.resident_id,
            Contact.contact_resident_id,
            Contact.degree,
            ContactExposure.rule,
            ContactExposure.place_id,
            ContactExposure.via_resident_id,
            ContactExposure.start_at,
            ContactExposure.end_at,
            ContactExposure.minutes,
        )
        .join(Contact, Contact.id == ContactExposure.contact_id)
        .join(Case, Case.id == Contact.case_id)
        .where(Contact.case_id == case_id, Contact.withdrawn_at.is_(None))
    )
    rows = [
        (*row[:7], int(row[7].timestamp()), int(row[8].timestamp()), row[9])
        for row in db.execute(query)
    ]
    names = schema.CONTACTS.names
    return pa.table(
        {name: [row[i] for row in rows] for i, name in enumerate(names)}, schema=schema.CONTACTS
    )


def cases_of_residents(db: Session, resident_ids: list[int]) -> list[Case]:
    """Cases of these residents (to mark contacts who became cases)."""
    if not resident_ids:
        return []
    return list(db.scalars(select(Case).where(Case.resident_id.in_(sorted(set(resident_ids))))))

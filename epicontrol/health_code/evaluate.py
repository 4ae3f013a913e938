"""The risk-status rules applied to stored records: which records put which residents at which
colour, until when, and the plain reason each gives. A few set-based queries per call, whatever
the number of residents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.db import in_chunks
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.health_code.models import AppealState, RiskAppeal
from epicontrol.health_code.rules import Colour, RiskRules, Rule
from epicontrol.movements.models import Movement, RiskArea
from epicontrol.places.models import Place
from epicontrol.reports.models import SelfCheck
from epicontrol.tracing.models import Contact

CASE_WORDS = {
    "suspected": "a suspected case (疑似病例)",
    "confirmed": "a confirmed case (确诊病例)",
    "asymptomatic": "an asymptomatic infection (无症状感染者)",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One record that gives a resident a colour: the evidence of their status."""

    resident_id: int
    rule: str
    colour: Colour
    source_table: str
    source_id: int
    reason: str
    since: datetime
    expires_at: datetime | None  # None: for as long as the record stays as it is
    overridden_until: datetime | None = None

    def counts_at(self, now: datetime) -> bool:
        """Whether this record still sets the colour at `now`."""
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return self.overridden_until is None or self.overridden_until <= now


def end_of_local_day(day: date) -> datetime:
    """The first moment after local `day` (midnight in China)."""
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TIME)


def findings(
    db: Session, resident_ids: Iterable[int], *, now: datetime, rules: RiskRules
) -> dict[int, list[Finding]]:
    """Every record counting towards the status of each resident at `now`, corrections applied
    (an officer's override replaces the colour of the evidence older than its decision)."""
    ids = sorted(set(resident_ids))
    found: dict[int, list[Finding]] = {resident: [] for resident in ids}
    for chunk in in_chunks(ids):
        for finding in (
            *_cases(db, chunk, rules),
            *_contacts(db, chunk, now, rules),
            *_fever_reports(db, chunk, now, rules),
            *_arrivals(db, chunk, now, rules),
        ):
            found[finding.resident_id].append(finding)
        for resident, override in _overrides(db, chunk, now).items():
            found[resident] = [*_masked(found[resident], override), override]
    return found


def _masked(evidence: list[Finding], override: Finding) -> Iterator[Finding]:
    for item in evidence:
        if item.since <= override.since:
            yield Finding(**{**_fields(item), "overridden_until": override.expires_at})
        else:  # arose after the decision: the officer never saw it, so it counts in full
            yield item


def _fields(item: Finding) -> dict[str, Any]:
    return {name: getattr(item, name) for name in Finding.__slots__}


def _cases(db: Session, ids: list[int], rules: RiskRules) -> Iterator[Finding]:
    query = select(
        Case.id, Case.resident_id, Case.status, Case.case_number, Case.report_date, Case.updated_at
    ).where(Case.resident_id.in_(ids), Case.status.in_(sorted(rules.red_case_statuses)))
    for case_id, resident, status, number, reported, updated in db.execute(query):
        what = CASE_WORDS.get(status, f"a case ({status})")
        yield Finding(
            resident_id=resident,
            rule=Rule.CASE,
            colour=Colour.RED,
            source_table="cases",
            source_id=case_id,
            reason=f"Recorded as {what}, case {number} reported on {reported}; "
            "red until the case is closed",
            since=updated,
            expires_at=None,
        )


def _contacts(db: Session, ids: list[int], now: datetime, rules: RiskRules) -> Iterator[Finding]:
    query = (
        select(
            Contact.id,
            Contact.contact_resident_id,
            Contact.degree,
            Contact.rule,
            Place.name,
            Contact.last_exposure_at,
            Contact.observation_ends_on,
            Contact.created_at,
            Case.status,
        )
        .join(Case, Case.id == Contact.case_id)
        .outerjoin(Place, Place.id == Contact.place_id)
        .where(
            Contact.contact_resident_id.in_(ids),
            Contact.withdrawn_at.is_(None),
            Contact.degree.in_((1, 2)),
            # Observation includes its last day (tracing/follow_ups.py).
            Contact.observation_ends_on >= local_date(now),
        )
    )
    for row in db.execute(query):
        contact_id, resident, degree, how, place, last, ends_on, created, case_status = row
        where = "in your household" if how == "household" else f"at {place or 'a shared place'}"
        if how == "same_carriage":
            where = f"in the same train carriage{f' ({place})' if place else ''}"
        on = local_date(last)
        if degree == 1:
            rule, colour = Rule.CLOSE_CONTACT, rules.close_contact_colour
            who = CASE_WORDS.get(case_status, "a case")
            text = f"Close contact (密接) of {who} {where} on {on}"
        else:
            rule, colour = Rule.SECONDARY_CONTACT, rules.secondary_contact_colour
            text = f"Secondary contact (次密接): exposed to a close contact {where} on {on}"
        yield Finding(
            resident_id=resident,
            rule=rule,
            colour=colour,
            source_table="contacts",
            source_id=contact_id,
            reason=f"{text}; observation ends on {ends_on}",
            since=created,
            expires_at=end_of_local_day(ends_on),
        )


def _fever_reports(
    db: Session, ids: list[int], now: datetime, rules: RiskRules
) -> Iterator[Finding]:
    window = timedelta(days=rules.fever_report_days)
    query = select(
        SelfCheck.id, SelfCheck.resident_id, SelfCheck.submitted_at, SelfCheck.temperature
    ).where(
        SelfCheck.resident_id.in_(ids),
        SelfCheck.fever.is_(True),
        SelfCheck.cleared_at.is_(None),
        SelfCheck.submitted_at > now - window,
    )
    for check_id, resident, submitted, temperature in db.execute(query):
        reading = f" ({temperature:.1f} °C)" if temperature is not None else ""
        until = submitted + window
        yield Finding(
            resident_id=resident,
            rule=Rule.FEVER_REPORT,
            colour=rules.fever_report_colour,
            source_table="self_checks",
            source_id=check_id,
            reason=f"Fever reported in your self-check on {local_date(submitted)}{reading}, "
            f"not yet cleared by a clinic; until {local_date(until)} unless cleared earlier",
            since=submitted,
            expires_at=until,
        )


def _arrivals(db: Session, ids: list[int], now: datetime, rules: RiskRules) -> Iterator[Finding]:
    """The latest arrival of each resident from each risk area within the window. The area list
    is short, so the prefix match and the "active on the local day" test run here."""
    window = timedelta(days=rules.risk_area_arrival_days)
    since = now - window
    active_areas = select(
        RiskArea.id, RiskArea.region_code, RiskArea.name, RiskArea.starts_on, RiskArea.ends_on
    ).where(
        RiskArea.starts_on <= local_date(now),
        or_(RiskArea.ends_on.is_(None), RiskArea.ends_on >= local_date(since)),
    )
    areas = list(db.execute(active_areas))
    if not areas:
        return
    query = (
        select(Movement.id, Movement.resident_id, Movement.origin, Movement.occurred_at, Place.name)
        .join(Place, Place.id == Movement.place_id)
        .where(
            Movement.resident_id.in_(ids),
            Movement.occurred_at > since,
            Movement.day >= since.date() - timedelta(days=1),  # lets the day index narrow
            Movement.origin.is_not(None),
            Movement.origin != "",
            or_(Movement.direction.is_(None), Movement.direction != "out"),
        )
        .order_by(Movement.occurred_at.desc(), Movement.id.desc())
    )
    seen: set[tuple[int, int]] = set()
    for movement_id, resident, origin, at, place in db.execute(query):
        if resident is None or origin is None:  # excluded by the query; for the type checker
            continue
        day = local_date(at)
        for area_id, code, name, starts_on, ends_on in areas:
            active = starts_on <= day and (ends_on is None or day <= ends_on)
            if not (active and origin.startswith(code)) or (resident, area_id) in seen:
                continue
            seen.add((resident, area_id))
            until = at + window
            yield Finding(
                resident_id=resident,
                rule=Rule.RISK_AREA_ARRIVAL,
                colour=rules.risk_area_arrival_colour,
                source_table="movements",
                source_id=movement_id,
                reason=f"Arrived from {name}, a risk area (风险地区), at {place} on {day}; "
                f"home observation until {local_date(until)}",
                since=at,
                expires_at=until,
            )


def _overrides(db: Session, ids: list[int], now: datetime) -> dict[int, Finding]:
    """The latest correction in force for each resident."""
    query = (
        select(RiskAppeal)
        .where(
            RiskAppeal.resident_id.in_(ids),
            RiskAppeal.state == AppealState.CORRECTED.value,
            RiskAppeal.override_until > now,
        )
        .order_by(RiskAppeal.decided_at, RiskAppeal.id)
    )
    latest: dict[int, Finding] = {}
    for appeal in db.scalars(query):
        assert appeal.decided_at is not None and appeal.override_colour is not None
        until = appeal.override_until
        assert until is not None
        note = f": {appeal.decision_note}" if appeal.decision_note else ""
        latest[appeal.resident_id] = Finding(
            resident_id=appeal.resident_id,
            rule=Rule.OVERRIDE,
            colour=Colour.of(appeal.override_colour),
            source_table="risk_appeals",
            source_id=appeal.id,
            reason=f"Corrected on appeal by an officer on {local_date(appeal.decided_at)}{note}; "
            f"holds until {local_date(until)}",
            since=appeal.decided_at,
            expires_at=until,
        )
    return latest

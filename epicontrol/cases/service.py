"""Cases: report one, change its status along TRANSITIONS, record isolation; every write audited.

Writes return a CaseChange saying whether the case's contacts must be traced (again): the
caller hands that to tracing (tracing.background.request_trace), since cases sit below tracing
in the data spine and never import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases import rules
from epicontrol.cases.models import (
    INITIAL_STATUSES,
    OPEN_STATUSES,
    TRACED_STATUSES,
    TRANSITIONS,
    Case,
    CaseStatus,
)
from epicontrol.cases.schemas import CaseDatesIn, CaseIn, StatusChange
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.local_time import local_date
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident

# Onset, sampling and report dates are China dates.
# A device clock a little ahead is no reason to refuse an isolation time.
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case after a write, and why its contacts must be traced again ("" if they need not)."""

    case: Case
    trace_reason: str = ""

    @property
    def needs_tracing(self) -> bool:
        """Whether the write changed whom the case may have exposed."""
        return bool(self.trace_reason)


def _denied(message: str, *, action: str, case_id: int | None) -> AccessDenied:
    return AccessDenied(
        message, action=action, entity="case", entity_id=None if case_id is None else str(case_id)
    )


def get_visible(
    db: Session, *, principal: Principal, case_id: int, action: str = "case:read"
) -> Case:
    """The case if it lies in the caller's division subtree; NotFound or AccessDenied otherwise."""
    row = db.execute(
        select(Case, Division.path)
        .join(Division, Division.id == Case.division_id)
        .where(Case.id == case_id)
    ).first()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    case, path = row
    if not principal.covers(path):
        raise _denied(f"case {case_id} is outside your scope", action=action, case_id=case_id)
    return case


def list_visible(
    db: Session,
    *,
    principal: Principal,
    status: CaseStatus | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[Case]:
    """Cases in the caller's division subtree, newest report first."""
    query = (
        select(Case)
        .join(Division, Division.id == Case.division_id)
        .where(Division.path.startswith(principal.division_path, autoescape=True))
        .order_by(Case.report_date.desc(), Case.id.desc())
        .offset(offset)
        .limit(min(limit, MAX_PAGE))
    )
    if status is not None:
        query = query.where(Case.status == status.value)
    return list(db.scalars(query))


def check_dates(
    status: CaseStatus,
    onset: date | None,
    sampling: date | None,
    report: date | None,
    *,
    today: date,
    is_new: bool = True,
) -> None:
    """Refuse impossible dates: in the future, before the disease, after the report of a new
    case, or missing where the status needs one to be traced from. Once reported, a case may
    get a later onset (an asymptomatic infection falls ill: 转确诊) or a later positive sample
    (a suspected case confirmed), so `is_new=False` skips the comparison with the report."""
    named = (("onset_date", onset), ("sampling_date", sampling), ("report_date", report))
    for name, value in named:
        if value is not None and value > today:
            raise InvalidInput(f"{name} {value} is in the future")
        if value is not None and value < rules.EARLIEST_PLAUSIBLE_DATE:
            raise InvalidInput(
                f"{name} {value} is before {rules.EARLIEST_PLAUSIBLE_DATE}, the earliest "
                "possible date of a case; check the year"
            )
    if report is not None and is_new:
        for name, value in named[:2]:
            if value is not None and value > report:
                raise InvalidInput(f"{name} {value} is after the report_date {report}")
    # The infectious window starts from onset, or from sampling for an infection without
    # symptoms (tracing/rules.py): a traced case without the date cannot be traced.
    if status == CaseStatus.CONFIRMED and onset is None and sampling is None:
        raise InvalidInput("a confirmed case needs an onset_date (or at least a sampling_date)")
    if status == CaseStatus.ASYMPTOMATIC and sampling is None:
        raise InvalidInput("an asymptomatic infection needs the sampling_date of its positive test")


def _check_isolation(isolated_at: datetime | None, now: datetime) -> None:
    if isolated_at is not None and isolated_at > now + MAX_CLOCK_SKEW:
        raise InvalidInput(f"isolated_at {isolated_at.isoformat()} is in the future")


def create(db: Session, *, principal: Principal, data: CaseIn, now: datetime) -> CaseChange:
    """Report a case of a resident of the caller's scope; one open case per resident."""
    row = db.execute(
        select(Resident, Division.path)
        .join(Division, Division.id == Resident.division_id)
        .where(Resident.id == data.resident_id)
    ).first()
    if row is None:
        raise InvalidInput(f"resident {data.resident_id} does not exist")
    resident, path = row
    if not principal.covers(path):
        raise _denied(
            f"resident {resident.id} is registered outside your scope",
            action="case:write",
            case_id=None,
        )
    return open_case(
        db, actor=principal, resident=resident, data=data, now=now, purpose="case report"
    )


def open_case(
    db: Session,
    *,
    actor: Principal | str,
    resident: Resident,
    data: CaseIn,
    now: datetime,
    purpose: str,
) -> CaseChange:
    """Open a case of `resident` once the caller's right to is settled (a fever clinic opens
    one for a patient living anywhere); one open case per resident."""
    if data.status not in INITIAL_STATUSES:
        allowed = ", ".join(sorted(INITIAL_STATUSES))
        raise InvalidInput(f"a new case is {allowed}, not {data.status}")
    today = local_date(now)
    report_date = data.report_date or today
    check_dates(data.status, data.onset_date, data.sampling_date, report_date, today=today)
    _check_isolation(data.isolated_at, now)
    already_open = db.scalar(
        select(Case.case_number).where(
            Case.resident_id == resident.id, Case.status.in_([s.value for s in OPEN_STATUSES])
        )
    )
    if already_open is not None:
        raise Conflict(f"resident {resident.id} already has an open case, {already_open}")
    if data.case_number and db.scalar(select(Case.id).where(Case.case_number == data.case_number)):
        raise Conflict(f"case number {data.case_number} is already taken")
    case = Case(
        # A placeholder until the id is known: the generated number is made from the id.
        case_number=data.case_number or f"new-{uuid4().hex[:16]}",
        resident_id=resident.id,
        division_id=resident.division_id,
        status=data.status.value,
        onset_date=data.onset_date,
        sampling_date=data.sampling_date,
        report_date=report_date,
        isolated_at=data.isolated_at,
        created_by=actor if isinstance(actor, str) else actor.username,
        created_at=now,
        updated_at=now,
    )
    db.add(case)
    db.flush()
    if not data.case_number:
        case.case_number = f"C{report_date.year}-{case.id:06d}"
    audit.record(
        db,
        actor=actor,
        action="create",
        entity="case",
        entity_id=case.id,
        purpose=purpose,
        detail={"status": case.status, "resident_id": resident.id, "number": case.case_number},
    )
    db.flush()
    reason = f"reported {case.status}" if data.status in TRACED_STATUSES else ""
    return CaseChange(case, reason)


def change_status(
    db: Session, *, principal: Principal, case_id: int, change: StatusChange, now: datetime
) -> CaseChange:
    """Move a case along TRANSITIONS; anything else is refused with the allowed moves named."""
    case = get_visible(db, principal=principal, case_id=case_id, action="case:write")
    return move(db, actor=principal, case=case, change=change, now=now)


def move(
    db: Session, *, actor: Principal | str, case: Case, change: StatusChange, now: datetime
) -> CaseChange:
    """change_status once the caller's right to change this case is settled."""
    current = CaseStatus(case.status)
    if change.status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is closed)"
        raise InvalidInput(
            f"case {case.case_number} is {current}: it cannot become {change.status}; "
            f"allowed: {allowed}"
        )
    onset = change.onset_date or case.onset_date
    sampling = change.sampling_date or case.sampling_date
    today = local_date(now)
    check_dates(change.status, onset, sampling, case.report_date, today=today, is_new=False)
    dates_changed = (onset, sampling) != (case.onset_date, case.sampling_date)
    case.status, case.onset_date, case.sampling_date = change.status.value, onset, sampling
    case.updated_at = now
    audit.record(
        db,
        actor=actor,
        action="status",
        entity="case",
        entity_id=case.id,
        purpose="case management",
        detail={"from": current.value, "to": change.status.value},
    )
    db.flush()
    # Becoming an infection, or a traced infection whose window moved, changes its contacts.
    becomes_traced = change.status in TRACED_STATUSES and current not in TRACED_STATUSES
    if becomes_traced or (change.status in TRACED_STATUSES and dates_changed):
        return CaseChange(case, f"{current} -> {change.status}")
    return CaseChange(case)


def set_isolation(
    db: Session, *, principal: Principal, case_id: int, isolated_at: datetime, now: datetime
) -> CaseChange:
    """Record when the case was isolated; it ends the window in which it exposed others."""
    case = get_visible(db, principal=principal, case_id=case_id, action="case:write")
    _check_isolation(isolated_at, now)
    previous = case.isolated_at
    case.isolated_at = isolated_at
    case.updated_at = now
    audit.record(
        db,
        actor=principal,
        action="isolate",
        entity="case",
        entity_id=case.id,
        purpose="case management",
        detail={
            "from": previous.isoformat() if previous else None,
            "to": isolated_at.isoformat(),
        },
    )
    db.flush()
    if case.status in TRACED_STATUSES and previous != isolated_at:
        return CaseChange(case, "isolation time changed")
    return CaseChange(case)


def set_dates(
    db: Session, *, principal: Principal, case_id: int, data: CaseDatesIn, now: datetime
) -> CaseChange:
    """Correct a case's onset, sampling or report date (those given); checked like new dates."""
    case = get_visible(db, principal=principal, case_id=case_id, action="case:write")
    given = data.model_dump(exclude_unset=True)
    if given.get("report_date", case.report_date) is None:
        raise InvalidInput("report_date cannot be removed")
    before = {name: getattr(case, name) for name in ("onset_date", "sampling_date", "report_date")}
    after = {**before, **given}
    check_dates(
        CaseStatus(case.status),
        after["onset_date"],
        after["sampling_date"],
        after["report_date"],
        today=local_date(now),
        is_new=case.status == CaseStatus.SUSPECTED.value,
    )
    changed = {k: [str(before[k]), str(v)] for k, v in after.items() if before[k] != v}
    for name, value in after.items():
        setattr(case, name, value)
    case.updated_at = now
    audit.record(
        db,
        actor=principal,
        action="dates",
        entity="case",
        entity_id=case.id,
        purpose="case management",
        detail=changed,
    )
    db.flush()
    # The window a traced case exposed others in starts from onset (or sampling).
    window_moved = {"onset_date", "sampling_date"} & set(changed)
    if case.status in TRACED_STATUSES and window_moved:
        return CaseChange(case, "dates corrected")
    return CaseChange(case)

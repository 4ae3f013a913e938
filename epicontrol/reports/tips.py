"""Public reports (举报 whistleblowing, 自主申报 self-reporting): filing, with a per-client hourly
limit held by the database and refusal of repeats; the officers' triage queue and outcomes."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault, mask_phone, normalise_phone
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.core.policy import Permission
from epicontrol.divisions.models import Division, DivisionLevel
from epicontrol.reports import rules
from epicontrol.reports.models import (
    TIP_TRANSITIONS,
    Tip,
    TipClient,
    TipKind,
    TipOutcome,
    TipStatus,
)
from epicontrol.reports.schemas import TipDetailOut, TipIn, TipOut, TipReceipt, TriageIn
from epicontrol.reports.tips_limits import RateLimited

MAX_PAGE = 500
# Staff scoped to these levels also triage reports that name no division.
CITY_LEVELS = frozenset({DivisionLevel.PROVINCE.value, DivisionLevel.CITY.value})
OPEN_STATUSES = (TipStatus.NEW.value, TipStatus.IN_REVIEW.value)


@dataclass(frozen=True, slots=True)
class Filed:
    """A stored report, and whether this request created it or replayed an earlier one."""

    receipt: TipReceipt
    created: bool


def client_hash(vault: PersonalDataVault, address: str) -> str:
    """A keyed hash of the sender's address: enough to count their reports, not to find them."""
    return vault.lookup_hash("tip-client", address)


def _content_hash(data: TipIn, *, sender: str) -> str:
    words = " ".join(
        re.sub(r"\s+", " ", part).strip().casefold()
        for part in (
            data.kind.value,
            data.description,
            data.location_text,
            str(data.division_id or ""),
        )
    )
    return hashlib.sha256(f"{sender}\x00{words}".encode()).hexdigest()


def _lock_client(db: Session, client: str, now: datetime) -> None:
    """Upsert the client's row: the row lock (PostgreSQL) or write lock (SQLite) it takes is
    held until commit, so a second worker's count waits for this request's report."""
    values = {"client_hash": client, "last_submitted_at": now}
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(TipClient).values(values)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(TipClient).values(values)  # type: ignore[assignment]
    db.execute(
        statement.on_conflict_do_update(
            index_elements=["client_hash"],
            set_={"last_submitted_at": statement.excluded.last_submitted_at},
        )
    )


def _check_rate(db: Session, *, client: str, limit: int, now: datetime) -> None:
    since = now - rules.TIP_RATE_WINDOW
    times = list(
        db.scalars(
            select(Tip.submitted_at)
            .where(Tip.client_hash == client, Tip.submitted_at > since)
            .order_by(Tip.submitted_at)
        )
    )
    if len(times) < limit:
        return
    # The report whose ageing out frees a place for one more.
    frees_at = times[len(times) - limit] + rules.TIP_RATE_WINDOW
    retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
    raise RateLimited(
        f"提交过于频繁 Too many reports from your connection: at most {limit} an hour. "
        f"Try again in {math.ceil(retry_after / 60)} min.",
        retry_after=retry_after,
    )


def _receipt(tip: Tip) -> TipReceipt:
    return TipReceipt(id=tip.id, status=TipStatus(tip.status), submitted_at=tip.submitted_at)


def submit(
    db: Session,
    *,
    data: TipIn,
    principal: Principal | None,
    client: str,
    vault: PersonalDataVault,
    limit_per_hour: int,
    now: datetime,
    idempotency_key: str | None = None,
) -> Filed:
    """File a report; a retry with the same idempotency key returns the first one."""
    if data.division_id is not None and db.get(Division, data.division_id) is None:
        raise InvalidInput(f"division {data.division_id} does not exist")
    phone = normalise_phone(data.contact_phone) if data.contact_phone else None
    reporter = principal.resident_id if principal else None
    sender = f"resident:{reporter}" if reporter is not None else f"client:{client}"
    content = _content_hash(data, sender=sender)
    _lock_client(db, client, now)
    if idempotency_key:
        earlier = db.scalar(select(Tip).where(Tip.idempotency_key == idempotency_key))
        if earlier is not None:
            if earlier.content_hash != content:
                raise Conflict("this Idempotency-Key was already used for a different report")
            return Filed(_receipt(earlier), created=False)
    _check_rate(db, client=client, limit=limit_per_hour, now=now)
    repeat = db.scalar(
        select(Tip).where(
            Tip.content_hash == content, Tip.submitted_at > now - rules.DUPLICATE_WINDOW
        )
    )
    if repeat is not None:
        raise Conflict(
            f"重复提交 The same report was already received (report #{repeat.id}); "
            "officers will look at it, there is no need to send it again."
        )
    tip = Tip(
        kind=data.kind.value,
        description=data.description,
        location_text=data.location_text,
        division_id=data.division_id,
        contact_phone_enc=vault.encrypt(phone) if phone else None,
        contact_phone_masked=mask_phone(phone) if phone else None,
        reporter_resident_id=reporter,
        client_hash=client,
        content_hash=content,
        idempotency_key=idempotency_key,
        submitted_at=now,
        status=TipStatus.NEW.value,
        outcome_note="",
        updated_at=now,
    )
    db.add(tip)
    db.flush()
    audit.record(
        db,
        actor=principal,
        action="create",
        entity="tip",
        entity_id=tip.id,
        purpose="public report",
        detail={"kind": tip.kind, "division_id": tip.division_id},
    )
    return Filed(_receipt(tip), created=True)


def _is_city_level(db: Session, principal: Principal) -> bool:
    level = db.scalar(select(Division.level).where(Division.id == principal.division_id))
    return level in CITY_LEVELS


def _visible(db: Session, principal: Principal) -> ColumnElement[bool]:
    in_subtree = Division.path.startswith(principal.division_path, autoescape=True)
    if _is_city_level(db, principal):
        return or_(in_subtree, Tip.division_id.is_(None))
    return in_subtree


def _out(tip: Tip, division_name: str | None) -> TipOut:
    return TipOut(
        id=tip.id,
        kind=TipKind(tip.kind),
        description=tip.description,
        location_text=tip.location_text,
        division_id=tip.division_id,
        division_name=division_name,
        contact_phone_masked=tip.contact_phone_masked,
        from_registered_resident=tip.reporter_resident_id is not None,
        submitted_at=tip.submitted_at,
        status=TipStatus(tip.status),
        outcome=TipOutcome(tip.outcome) if tip.outcome else None,
        outcome_note=tip.outcome_note,
        handled_by=tip.handled_by,
        updated_at=tip.updated_at,
    )


def queue(
    db: Session,
    *,
    principal: Principal,
    status: TipStatus | None = None,
    kind: TipKind | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[TipOut]:
    """Reports the caller may triage: open ones (or those of `status`), new first, oldest
    first within a status so nothing waits forever."""
    statuses = (status.value,) if status else OPEN_STATUSES
    query = (
        select(Tip, Division.name)
        .outerjoin(Division, Division.id == Tip.division_id)
        .where(_visible(db, principal), Tip.status.in_(statuses))
        .order_by(Tip.status.desc(), Tip.submitted_at, Tip.id)
        .offset(offset)
        .limit(min(limit, MAX_PAGE))
    )
    if kind is not None:
        query = query.where(Tip.kind == kind.value)
    return [_out(tip, name) for tip, name in db.execute(query).all()]


def counts(db: Session, *, principal: Principal) -> dict[str, int]:
    """How many visible reports are in each status."""
    rows = db.execute(
        select(Tip.status, func.count())
        .outerjoin(Division, Division.id == Tip.division_id)
        .where(_visible(db, principal))
        .group_by(Tip.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {s.value: found.get(s.value, 0) for s in TipStatus}


def _get_visible(db: Session, *, principal: Principal, tip_id: int) -> tuple[Tip, str | None]:
    row = db.execute(
        select(Tip, Division.name, Division.path)
        .outerjoin(Division, Division.id == Tip.division_id)
        .where(Tip.id == tip_id)
    ).first()
    if row is None:
        raise NotFound(f"report {tip_id} does not exist")
    tip, name, path = row
    allowed = principal.covers(path) if path else _is_city_level(db, principal)
    if not allowed:
        raise AccessDenied(
            f"report {tip_id} is outside your scope",
            action=str(Permission.TIP_TRIAGE),
            entity="tip",
            entity_id=str(tip_id),
        )
    return tip, name


def detail(
    db: Session, *, principal: Principal, tip_id: int, vault: PersonalDataVault, purpose: str
) -> TipDetailOut:
    """One report with the contact phone in clear; the read is audited with its purpose."""
    tip, name = _get_visible(db, principal=principal, tip_id=tip_id)
    phone = vault.decrypt(tip.contact_phone_enc) if tip.contact_phone_enc else None
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="tip",
        entity_id=tip.id,
        purpose=purpose or "report triage",
        detail={"contact_phone": phone is not None},
    )
    return TipDetailOut(**_out(tip, name).model_dump(), contact_phone=phone)


def triage(
    db: Session, *, principal: Principal, tip_id: int, change: TriageIn, now: datetime
) -> TipOut:
    """Move a report along TIP_TRANSITIONS; closing needs an outcome. Audited."""
    tip, name = _get_visible(db, principal=principal, tip_id=tip_id)
    current = TipStatus(tip.status)
    if change.status not in TIP_TRANSITIONS[current]:
        allowed = ", ".join(sorted(TIP_TRANSITIONS[current]))
        raise InvalidInput(f"report {tip_id} is {current}: it can become {allowed}")
    if change.status == TipStatus.CLOSED and change.outcome is None:
        raise InvalidInput("closing a report needs an outcome: " + ", ".join(TipOutcome))
    if change.status != TipStatus.CLOSED and change.outcome is not None:
        raise InvalidInput("an outcome is recorded when the report is closed")
    tip.status = change.status.value
    tip.outcome = change.outcome.value if change.outcome else None
    if change.note:
        tip.outcome_note = change.note
    tip.handled_by, tip.updated_at = principal.username, now
    audit.record(
        db,
        actor=principal,
        action="triage",
        entity="tip",
        entity_id=tip.id,
        purpose="report triage",
        detail={
            "from": current.value,
            "to": change.status.value,
            "outcome": tip.outcome,
            "note": change.note,
        },
    )
    db.flush()
    return _out(tip, name)

"""Grants: an agency asks for a dataset; an approver grants (maybe narrowed), refuses or revokes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput, NotFound
from epicontrol.divisions.models import Division
from epicontrol.exchange import datasets
from epicontrol.exchange.models import Grant, GrantStatus

MAX_GRANT_DAYS = 180  # a grant is renewed, not left open: half a year at most
_AGENCY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_CODE = re.compile(r"^[0-9A-Za-z]{1,32}$")


def checked_codes(codes: list[str]) -> list[str]:
    """Division codes as given, or InvalidInput for one that cannot be a code."""
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        raise InvalidInput("not a division code: " + ", ".join(repr(c[:40]) for c in bad[:5]))
    return codes


def _divisions_by_code(db: Session, codes: list[str]) -> list[Division]:
    if not codes:
        raise InvalidInput("name at least one division code for the grant's scope")
    checked_codes(codes)
    found = {d.code: d for d in db.scalars(select(Division).where(Division.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput("unknown division codes: " + ", ".join(missing))
    return [found[c] for c in dict.fromkeys(codes)]


def _check_fields(dataset: datasets.Dataset, fields: list[str]) -> list[str]:
    if not fields:
        raise InvalidInput("name at least one field")
    for name in fields:
        dataset.field(name)  # InvalidInput for an unknown field
    return list(dict.fromkeys(fields))


def request_grant(
    db: Session,
    *,
    principal: Principal,
    agency: str,
    dataset_name: str,
    fields: list[str],
    division_codes: list[str],
    purpose: str,
    expires_at: datetime,
    now: datetime | None = None,
) -> Grant:
    """Store an agency's request; the scope must lie inside the requester's own subtree."""
    now = now or utcnow()
    if not _AGENCY.match(agency):
        raise InvalidInput("agency: 2-40 lower-case letters, digits or _, e.g. public_security")
    dataset = datasets.get(dataset_name)
    wanted = _check_fields(dataset, fields)
    scope = _divisions_by_code(db, division_codes)
    outside = [d.code for d in scope if not principal.covers(d.path)]
    if outside:
        raise AccessDenied(
            "divisions outside your own scope: " + ", ".join(outside),
            action="grant:request",
            entity="exchange_grant",
        )
    if len(purpose.strip()) < 10:
        raise InvalidInput("state the purpose in at least 10 characters")
    if expires_at.tzinfo is None:
        raise InvalidInput("expires_at needs a time zone (e.g. 2026-12-31T00:00:00+08:00)")
    if not now < expires_at <= now + timedelta(days=MAX_GRANT_DAYS):
        raise InvalidInput(f"expires_at must be in the next {MAX_GRANT_DAYS} days")
    grant = Grant(
        agency=agency,
        dataset=dataset.name,
        fields=",".join(wanted),
        division_ids=",".join(str(d.id) for d in scope),
        purpose=purpose.strip()[:400],
        expires_at=expires_at,
        status=GrantStatus.REQUESTED.value,
        requested_by=principal.user_id,
        requested_at=now,
    )
    db.add(grant)
    db.flush()
    _audit(db, principal, "grant:request", grant)
    return grant


def get(db: Session, grant_id: int) -> Grant:
    """The grant with this id, or NotFound."""
    grant = db.get(Grant, grant_id)
    if grant is None:
        raise NotFound(f"grant {grant_id} does not exist")
    return grant


def decide(
    db: Session,
    *,
    principal: Principal,
    grant_id: int,
    approve: bool,
    fields: list[str] | None = None,
    division_codes: list[str] | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Grant:
    """Grant (optionally narrowing fields or scope, never widening) or refuse a request."""
    grant = get(db, grant_id)
    if grant.status != GrantStatus.REQUESTED.value:
        raise Conflict(f"grant {grant_id} was already decided: {grant.status}")
    if grant.requested_by == principal.user_id:
        raise Conflict("the requester may not decide their own request")
    if approve:
        _narrow(db, grant, fields, division_codes)
    grant.status = (GrantStatus.GRANTED if approve else GrantStatus.REFUSED).value
    grant.decided_by = principal.user_id
    grant.decided_at = now or utcnow()
    grant.decision_note = note.strip()[:400]
    _audit(db, principal, "grant:decide", grant)
    return grant


def _narrow(
    db: Session, grant: Grant, fields: list[str] | None, division_codes: list[str] | None
) -> None:
    if fields is not None:
        wider = [f for f in fields if f not in grant.field_list]
        if wider:
            raise InvalidInput(
                "a decision may only narrow the fields; not requested: " + ", ".join(wider)
            )
        grant.fields = ",".join(_check_fields(datasets.get(grant.dataset), fields))
    if division_codes is not None:
        chosen = _divisions_by_code(db, division_codes)
        requested = list(
            db.scalars(select(Division).where(Division.id.in_(grant.division_id_list)))
        )
        wider = [d.code for d in chosen if not any(d.path.startswith(r.path) for r in requested)]
        if wider:
            raise InvalidInput(
                "a decision may only narrow the scope; outside it: " + ", ".join(wider)
            )
        grant.division_ids = ",".join(str(d.id) for d in chosen)


def revoke(
    db: Session, *, principal: Principal, grant_id: int, note: str = "", now: datetime | None = None
) -> Grant:
    """Revoke a granted request: every export checks the grant, so this takes effect at once."""
    grant = get(db, grant_id)
    if grant.status != GrantStatus.GRANTED.value:
        raise Conflict(f"only a granted request can be revoked; grant {grant_id} is {grant.status}")
    grant.status = GrantStatus.REVOKED.value
    grant.revoked_at = now or utcnow()
    if note:
        grant.decision_note = note.strip()[:400]
    _audit(db, principal, "grant:revoke", grant)
    return grant


def list_grants(db: Session, *, requested_by: int | None = None) -> list[Grant]:
    """Grants newest first; only one requester's if `requested_by` is given."""
    query = select(Grant).order_by(Grant.id.desc())
    if requested_by is not None:
        query = query.where(Grant.requested_by == requested_by)
    return list(db.scalars(query))


def why_unusable(grant: Grant, now: datetime) -> str | None:
    """None if the grant may be used now, else the reason it may not."""
    if grant.status != GrantStatus.GRANTED.value:
        return f"grant {grant.id} is {grant.status}"
    if grant.expires_at <= now:
        return f"grant {grant.id} expired at {grant.expires_at.isoformat()}"
    return None


def division_codes(db: Session, grant: Grant) -> list[str]:
    """The codes of the grant's scope divisions."""
    rows = db.scalars(select(Division.code).where(Division.id.in_(grant.division_id_list)))
    return sorted(rows)


def _audit(db: Session, principal: Principal, action: str, grant: Grant) -> None:
    audit.record(
        db,
        actor=principal,
        action=action,
        entity="exchange_grant",
        entity_id=grant.id,
        purpose=grant.purpose,
        detail={
            "agency": grant.agency,
            "dataset": grant.dataset,
            "fields": grant.fields,
            "divisions": grant.division_ids,
            "status": grant.status,
        },
    )

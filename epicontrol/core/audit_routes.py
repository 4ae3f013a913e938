"""Audit chain verification, retention purge, and a resident's view of who accessed their record."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from epicontrol.core import audit, audit_chain, retention
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, require
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission
from epicontrol.web.templating import render

router = APIRouter()
Verifier = Annotated[Principal, Depends(require(Permission.AUDIT_VERIFY))]
Purger = Annotated[Principal, Depends(require(Permission.RETENTION_PURGE))]
OwnResident = Annotated[Principal, Depends(require(Permission.ACCESS_LOG_OWN))]
NO_STORE = {"Cache-Control": "no-store"}
# English message ids of the page's labels (Chinese in core/locale/zh/access_log.po).
ROLE_LABELS = {
    "resident": "Resident",
    "checkpoint_operator": "Checkpoint operator",
    "grid_worker": "Grid worker",
    "community_officer": "Community officer",
    "commander": "Commander",
    "epidemiologist": "Epidemiologist (CDC)",
    "clinic_staff": "Clinic staff",
    "agency_liaison": "Agency liaison",
    "admin": "Administrator",
    "system": "Automatic process",
    "public": "Member of the public",
}
LEVEL_LABELS = {
    "province": "province",
    "city": "city",
    "district": "district or county",
    "street": "street or town",
    "community": "community or village",
    "grid": "grid",
}


class PublishedHead(BaseModel):
    """A head published earlier: the chain must still contain it unchanged."""

    seq: int = Field(ge=1)
    hash: str = Field(pattern="^[0-9a-f]{64}$")


class ProblemOut(BaseModel):
    """The first disagreement between the log and its chain."""

    kind: str
    seq: int
    entry_id: int | None
    message: str


class VerificationOut(BaseModel):
    """The outcome of verifying the chain."""

    intact: bool
    checked: int
    unsealed: int
    head_seq: int | None
    head_hash: str | None
    problem: ProblemOut | None


class TableResultOut(BaseModel):
    """One table of a retention purge."""

    table: str
    action: str
    window_days: int
    cutoff: str
    rows: int
    files: int = 0


class AccessOut(BaseModel):
    """One access to the caller's record: role and organisation, never the staff username."""

    at: datetime
    role: str
    organisation: str
    organisation_level: str
    action: str
    entity: str
    purpose: str
    outcome: str
    is_self: bool


@router.post("/api/audit/verify", tags=["admin"])
def verify_audit_chain(
    db: DbSession,
    settings: SettingsDep,
    principal: Verifier,
    published: PublishedHead | None = None,
) -> VerificationOut:
    """Seal new entries, then check every sealed audit entry against the hash chain."""
    key = audit_chain.chain_key(settings.secret_key)
    audit_chain.seal_all(db, key=key)
    expected = (published.seq, published.hash) if published else None
    result = audit_chain.verify(db, key=key, expected_head=expected)
    problem = result.problem
    audit.record(
        db,
        actor=principal,
        action="verify",
        entity="audit_log",
        purpose="audit chain verification",
        outcome="allowed",
        detail={"intact": result.is_intact, "checked": result.checked},
    )
    return VerificationOut(
        intact=result.is_intact,
        checked=result.checked,
        unsealed=result.unsealed,
        head_seq=result.head.seq if result.head else None,
        head_hash=result.head.hash if result.head else None,
        problem=ProblemOut(**_fields(problem)) if problem else None,
    )


def _fields(problem: audit_chain.Problem) -> dict[str, Any]:
    return {
        "kind": problem.kind,
        "seq": problem.seq,
        "entry_id": problem.entry_id,
        "message": problem.message,
    }


@router.post("/api/retention/purge", tags=["admin"])
def purge_expired(
    db: DbSession,
    settings: SettingsDep,
    principal: Purger,
    dry_run: Annotated[bool, Query(description="count only; change nothing")] = False,
) -> list[TableResultOut]:
    """Delete or anonymise personal records past their table's retention window."""
    now = utcnow()
    if dry_run:
        results = retention.plan(db, settings=settings, now=now)
    else:
        results = retention.purge(
            db, settings=settings, now=now, actor=principal, purpose="retention windows"
        )
    return [TableResultOut(**vars_of(r)) for r in results]


def vars_of(result: retention.TableResult) -> dict[str, Any]:
    """A purge result as plain fields."""
    return {name: getattr(result, name) for name in TableResultOut.model_fields}


@router.get("/api/me/access-log", tags=["portal"])
def my_access_log(db: DbSession, principal: OwnResident, response: Response) -> list[AccessOut]:
    """Who accessed the caller's records and why, newest first (the last 200)."""
    response.headers.update(NO_STORE)
    return [AccessOut(**_access_fields(a)) for a in audit.access_log(db, principal=principal)]


def _access_fields(access: audit.Access) -> dict[str, Any]:
    return {name: getattr(access, name) for name in AccessOut.model_fields}


@router.get("/public/me/access-log", include_in_schema=False)
def my_access_log_page(request: Request, db: DbSession, principal: OwnResident) -> Response:
    """The caller's access log as a page."""
    context = {
        "accesses": audit.access_log(db, principal=principal),
        "time_zone": LOCAL_TIME,
        "roles": ROLE_LABELS,
        "levels": LEVEL_LABELS,
    }
    response = render(request, "portal_access_log.html", context)
    response.headers.update(NO_STORE)
    return response

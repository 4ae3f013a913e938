"""API of public reports: filing (no login needed) and the officers' triage queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, SettingsDep, Vault, optional_principal, require
from epicontrol.core.policy import Permission
from epicontrol.reports import tips
from epicontrol.reports.models import TipKind, TipStatus
from epicontrol.reports.schemas import TipDetailOut, TipIn, TipOut, TipReceipt, TriageIn
from epicontrol.reports.tips_limits import RateLimited, client_address, limit_body
from epicontrol.web.rate_limits import TOO_MANY

router = APIRouter(tags=["public reports"])
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
Triager = Annotated[Principal, Depends(require(Permission.TIP_TRIAGE))]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]


@router.post(
    "/api/public/tips",
    status_code=201,
    dependencies=[Depends(limit_body)],
    responses=TOO_MANY,
)
def file_tip(
    data: TipIn,
    request: Request,
    response: Response,
    db: DbSession,
    principal: MaybePrincipal,
    vault: Vault,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> TipReceipt:
    """File a report, anonymously or as the logged-in resident; 429 beyond the hourly limit,
    409 for a repeat, 200 with the first receipt for a retry with the same Idempotency-Key."""
    try:
        filed = tips.submit(
            db,
            data=data,
            principal=principal,
            client=tips.client_hash(vault, client_address(request)),
            vault=vault,
            limit_per_hour=settings.tip_rate_limit_per_hour,
            now=utcnow(),
            idempotency_key=idempotency_key,
        )
    except RateLimited as limited:
        raise HTTPException(
            429, limited.message, headers={"Retry-After": str(limited.retry_after)}
        ) from limited
    if not filed.created:
        response.status_code = 200
    return filed.receipt


@router.get("/api/tips")
def tip_queue(
    db: DbSession,
    principal: Triager,
    status: TipStatus | None = None,
    kind: TipKind | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=tips.MAX_PAGE)] = 100,
) -> list[TipOut]:
    """Reports in the caller's division (and, for city-level staff, those naming none)."""
    return tips.queue(db, principal=principal, status=status, kind=kind, offset=offset, limit=limit)


@router.get("/api/tips/{tip_id}")
def get_tip(
    tip_id: int, db: DbSession, principal: Triager, vault: Vault, purpose: Purpose
) -> TipDetailOut:
    """One report with the reporter's phone in clear (audited with the X-Purpose given)."""
    return tips.detail(db, principal=principal, tip_id=tip_id, vault=vault, purpose=purpose)


@router.post("/api/tips/{tip_id}/triage")
def triage_tip(tip_id: int, change: TriageIn, db: DbSession, principal: Triager) -> TipOut:
    """Move a report to review or close it with an outcome."""
    return tips.triage(db, principal=principal, tip_id=tip_id, change=change, now=utcnow())

"""Pages of public reports: the report form (举报/自主申报) and the officers' triage queue."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, Vault, optional_principal, require
from epicontrol.core.errors import Conflict, InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission
from epicontrol.reports import tips
from epicontrol.reports.models import TIP_TRANSITIONS, TipKind, TipOutcome, TipStatus
from epicontrol.reports.schemas import TipIn, TipReceipt, TriageIn
from epicontrol.reports.selfcheck_places import pickable_divisions
from epicontrol.reports.tips_limits import RateLimited, client_address, limit_body
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(limit_body)])
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
Triager = Annotated[Principal, Depends(require(Permission.TIP_TRIAGE))]
NO_STORE = {"Cache-Control": "no-store"}

KIND_LABELS = {
    TipKind.UNREPORTED_ARRIVAL: "风险地区来人未报备 Unreported arrival from a risk area",
    TipKind.HIDDEN_SYMPTOMS: "隐瞒症状 Hidden symptoms",
    TipKind.GATHERING: "聚集活动 A gathering",
    TipKind.PRICE_GOUGING: "哄抬物价 Price gouging",
    TipKind.OTHER: "其他 Other",
}
STATUS_LABELS = {
    TipStatus.NEW: "新提交 New",
    TipStatus.IN_REVIEW: "核查中 In review",
    TipStatus.CLOSED: "已办结 Closed",
}
OUTCOME_LABELS = {
    TipOutcome.ACTION_TAKEN: "已处置 Action taken",
    TipOutcome.REFERRED: "已移交 Referred",
    TipOutcome.UNFOUNDED: "查无实据 Unfounded",
    TipOutcome.DUPLICATE: "重复 Duplicate",
    TipOutcome.NOT_ACTIONABLE: "信息不足 Not actionable",
}
LABELS = {"kind": KIND_LABELS, "status": STATUS_LABELS, "outcome": OUTCOME_LABELS}


def _form_page(
    request: Request,
    db: Session,
    *,
    receipt: TipReceipt | None = None,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "receipt": receipt,
        "error": error,
        "values": values or {},
        "kinds": KIND_LABELS,
        "divisions": pickable_divisions(db),
        # A fresh key per rendered form: a double tap or a resend files the report once.
        "idempotency_key": uuid4().hex,
    }
    response = render(request, "tips_report.html", context, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


@router.get("/report")
def report_page(request: Request, db: DbSession, principal: MaybePrincipal) -> Response:
    """The public report form; anonymous allowed."""
    return _form_page(request, db)


@router.post("/report")
def report_submit(
    request: Request,
    db: DbSession,
    principal: MaybePrincipal,
    vault: Vault,
    settings: SettingsDep,
    kind: Annotated[str, Form(max_length=32)],
    description: Annotated[str, Form(max_length=4000)],
    location_text: Annotated[str, Form(max_length=300)] = "",
    division_id: Annotated[str, Form(max_length=12)] = "",
    contact_phone: Annotated[str, Form(max_length=20)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """File the report and show its receipt, or the form again with what went wrong."""
    values = {
        "kind": kind,
        "description": description,
        "location_text": location_text,
        "division_id": division_id,
    }
    try:
        data = TipIn.model_validate(
            {
                "kind": kind,
                "description": description,
                "location_text": location_text,
                "division_id": division_id.strip() or None,
                "contact_phone": contact_phone.strip() or None,
            }
        )
        filed = tips.submit(
            db,
            data=data,
            principal=principal,
            client=tips.client_hash(vault, client_address(request)),
            vault=vault,
            limit_per_hour=settings.tip_rate_limit_per_hour,
            now=utcnow(),
            idempotency_key=idempotency_key.strip() or None,
        )
    except ValidationError as error:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return _form_page(request, db, error=message, values=values, status_code=422)
    except (InvalidInput, Conflict, RateLimited) as error:
        db.rollback()
        response = _form_page(
            request, db, error=error.message, values=values, status_code=error.status_code
        )
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(error.retry_after)
        return response
    db.commit()  # durable before the reporter is told it was received
    return _form_page(request, db, receipt=filed.receipt)


@router.get("/tips")
def queue_page(
    request: Request, db: DbSession, principal: Triager, status: TipStatus | None = None
) -> Response:
    """The triage queue of the caller's division: open reports, or those of one status."""
    context = {
        "tips": tips.queue(db, principal=principal, status=status, limit=tips.MAX_PAGE),
        "counts": tips.counts(db, principal=principal),
        "status": status.value if status else "",
        "statuses": list(TipStatus),
        "outcomes": list(TipOutcome),
        "transitions": TIP_TRANSITIONS,
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    response = render(request, "tips_queue.html", context)
    response.headers.update(NO_STORE)
    return response


@router.get("/tips/{tip_id}")
def tip_page(
    request: Request, tip_id: int, db: DbSession, principal: Triager, vault: Vault
) -> Response:
    """One report with the reporter's phone (the read is audited)."""
    tip = tips.detail(
        db, principal=principal, tip_id=tip_id, vault=vault, purpose="report triage page"
    )
    context = {
        "tip": tip,
        "statuses": list(TipStatus),
        "outcomes": list(TipOutcome),
        "transitions": TIP_TRANSITIONS,
        "labels": LABELS,
        "time_zone": LOCAL_TIME,
    }
    response = render(request, "tips_detail.html", context)
    response.headers.update(NO_STORE)
    return response


@router.post("/tips/{tip_id}/triage")
def tip_triage(
    tip_id: int,
    db: DbSession,
    principal: Triager,
    status: Annotated[str, Form(max_length=16)],
    outcome: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
    back: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Move a report, then go back to the queue (or the report)."""
    closing = status == TipStatus.CLOSED.value
    try:
        change = TriageIn.model_validate(
            {"status": status, "outcome": (outcome or None) if closing else None, "note": note}
        )
    except ValidationError as error:
        raise InvalidInput("; ".join(e["msg"] for e in error.errors())) from None
    tips.triage(db, principal=principal, tip_id=tip_id, change=change, now=utcnow())
    target = f"/tips/{tip_id}" if back == "detail" else "/tips"
    return RedirectResponse(target, status_code=303)

"""Risk status (健康码) routes: a resident's own status and page, staff reads, appeals."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission
from epicontrol.health_code import risk
from epicontrol.health_code.evaluate import end_of_local_day
from epicontrol.health_code.rules import active
from epicontrol.health_code.schemas import AppealDecisionIn, AppealIn, AppealOut, RiskStatusOut
from epicontrol.web.templating import render

router = APIRouter(tags=["risk status"])
pages = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require(Permission.RISK_STATUS_READ))]
Appellant = Annotated[Principal, Depends(require(Permission.RISK_APPEAL))]
Reviewer = Annotated[Principal, Depends(require(Permission.RISK_REVIEW))]
MY_STATUS_PATH = "/api/risk-status/me"
NO_STORE = {"Cache-Control": "no-store"}
COLOUR_NAMES = {"green": "绿码 Green", "yellow": "黄码 Yellow", "red": "红码 Red"}


@router.get(MY_STATUS_PATH)
def my_status(db: DbSession, principal: Reader) -> RiskStatusOut:
    """The caller's own risk status, the plain reason, and the records behind it."""
    resident_id = risk.own_resident(principal)
    return risk.describe(db, resident_id, now=utcnow())


@router.get("/api/residents/{resident_id}/risk-status")
def resident_status(
    resident_id: int, db: DbSession, principal: Reader, purpose: Purpose
) -> RiskStatusOut:
    """A resident's status with its evidence: staff within their division, a resident only
    their own; every read audited."""
    return risk.read(
        db, principal=principal, resident_id=resident_id, purpose=purpose, now=utcnow()
    )


@router.post("/api/risk-status/me/appeals", status_code=201)
def file_appeal(data: AppealIn, db: DbSession, principal: Appellant) -> AppealOut:
    """Appeal one's own status, saying why it is wrong; one open appeal at a time."""
    filed = risk.appeal(db, principal=principal, data=data, now=utcnow())
    return AppealOut.model_validate(filed)


@router.get("/api/risk-appeals")
def appeals(db: DbSession, principal: Reviewer, state: str | None = "open") -> list[AppealOut]:
    """Appeals of residents in the caller's division subtree (open ones by default)."""
    return risk.list_appeals(db, principal=principal, state=state or None)


@router.post("/api/risk-appeals/{appeal_id}/decision")
def decide_appeal(
    appeal_id: int, data: AppealDecisionIn, db: DbSession, principal: Reviewer
) -> AppealOut:
    """Uphold an appeal, or correct the status with a colour, a reason and an end; audited."""
    decided = risk.decide(db, principal=principal, appeal_id=appeal_id, data=data, now=utcnow())
    return AppealOut.model_validate(decided)


@pages.get("/risk-status")
def my_status_page(request: Request, db: DbSession, principal: Reader) -> Response:
    """The "my status" page: colour, reasons, records, appeals, and the appeal form."""
    resident_id = risk.own_resident(principal)
    context = {
        "status": risk.describe(db, resident_id, now=utcnow()),
        "colour_names": COLOUR_NAMES,
        "time_zone": LOCAL_TIME,
    }
    response = render(request, "risk_status.html", context)
    response.headers.update(NO_STORE)
    return response


@pages.post("/risk-status/appeal")
def my_status_appeal(
    db: DbSession, principal: Appellant, reason: Annotated[str, Form(max_length=1000)]
) -> Response:
    """The appeal form of the page; back to the page once filed."""
    risk.appeal(db, principal=principal, data=AppealIn(reason=reason), now=utcnow())
    return RedirectResponse("/risk-status", status_code=303)


@pages.get("/risk-appeals")
def appeals_page(request: Request, db: DbSession, principal: Reviewer) -> Response:
    """The officer's queue of open appeals in scope, each with the status and its records
    (every status shown is an audited read) and the decision form."""
    now = utcnow()
    queue = risk.list_appeals(db, principal=principal, state="open")
    statuses = {
        a.resident_id: risk.read(
            db, principal=principal, resident_id=a.resident_id, purpose="appeal review", now=now
        )
        for a in queue
    }
    context = {
        "queue": queue,
        "statuses": statuses,
        "colour_names": COLOUR_NAMES,
        "time_zone": LOCAL_TIME,
        "max_days": active().max_override_days,
    }
    response = render(request, "risk_appeals.html", context)
    response.headers.update(NO_STORE)
    return response


@pages.post("/risk-appeals/{appeal_id}/decision")
def appeals_page_decision(
    appeal_id: int,
    db: DbSession,
    principal: Reviewer,
    decision: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=1000)],
    colour: Annotated[str, Form(max_length=8)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The decision form of the queue: a correction holds to the end of the chosen day."""
    try:
        last_day = date.fromisoformat(until) if until else None
        data = AppealDecisionIn.model_validate(
            {
                "decision": decision,
                "note": note,
                "colour": colour or None,
                "until": end_of_local_day(last_day) if last_day else None,
            }
        )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise InvalidInput(f"the decision is not valid: {error}") from None
    risk.decide(db, principal=principal, appeal_id=appeal_id, data=data, now=utcnow())
    return RedirectResponse("/risk-appeals", status_code=303)

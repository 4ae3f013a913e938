"""Daily monitoring pages: the officer's list of people by state (/monitoring) and the
resident's daily report form (/daily-report)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Vault, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME, local_date
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.divisions import service as divisions
from epicontrol.reports import daily, monitoring, monitoring_states, monitoring_tasks
from epicontrol.reports.monitoring_models import MonitoringState
from epicontrol.reports.monitoring_rules import FEVER_CELSIUS, SYMPTOMS, TEMPERATURE_RANGE
from epicontrol.reports.monitoring_schemas import DailyReportIn
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Reporter = Annotated[Principal, Depends(require(Permission.REPORT_SUBMIT))]
Watcher = Annotated[Principal, Depends(require(Permission.MONITORING_READ))]
Manager = Annotated[Principal, Depends(require(Permission.MONITORING_MANAGE))]

# Strings shown to people, Chinese with the English beside; move to the catalogue when it exists.
STATE_LABELS = {
    MonitoringState.SYMPTOMATIC.value: "有症状 symptomatic",
    MonitoringState.NOT_REPORTING.value: "未报告 not reporting",
    MonitoringState.REPORTING.value: "正常报告 reporting",
    MonitoringState.CLOSED.value: "已解除 closed",
}
REASON_LABELS = {
    "close_contact": "密接 close contact",
    "secondary_contact": "次密接 secondary contact",
    "risk_area_arrival": "风险地区来返 arrival from a risk area",
}


@router.get("/monitoring")
def monitoring_page(
    request: Request,
    db: DbSession,
    principal: Watcher,
    vault: Vault,
    division_id: int | None = None,
    state: MonitoringState | None = None,
) -> Response:
    """People under observation in the caller's division by state, with counts."""
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    overview = monitoring_states.overview(
        db,
        principal=principal,
        division=division,
        now=utcnow(),
        vault=vault,
        state=state,
        purpose="monitoring page",
    )
    context = {
        "overview": overview,
        "states": STATE_LABELS,
        "reasons": REASON_LABELS,
        "can_manage": is_allowed(principal.role, Permission.MONITORING_MANAGE),
        "time_zone": LOCAL_TIME,
        "fever": FEVER_CELSIUS,
    }
    return render(request, "monitoring_people.html", context)


@router.post("/monitoring/people/{resident_id}/close")
def close_from_page(
    db: DbSession,
    principal: Manager,
    resident_id: int,
    reason: Annotated[str, Form(max_length=400)] = "",
    division_id: Annotated[int | None, Form()] = None,
) -> Response:
    """The page's close button: a reason is required."""
    if len(reason.strip()) < 3:
        raise InvalidInput("give a reason (at least 3 characters) for closing the observation")
    monitoring.close_person(
        db, principal=principal, resident_id=resident_id, reason=reason, now=utcnow()
    )
    return _back(division_id)


@router.post("/monitoring/refresh")
def refresh_from_page(
    db: DbSession, principal: Manager, division_id: Annotated[int | None, Form()] = None
) -> Response:
    """The page's button: generate observations, a first visit for each new one, follow-up
    calls for non-reporters, then deliveries to quarantined households."""
    division = divisions.get_in_scope(
        db, principal=principal, division_id=division_id or principal.division_id
    )
    now = utcnow()
    monitoring.sync_observations(db, division=division, day=local_date(now), now=now)
    monitoring_tasks.tasks_for_new_observations(
        db, division=division, now=now, created_by=principal.username
    )
    monitoring_tasks.tasks_for_non_reporters(
        db, division=division, now=now, created_by=principal.username
    )
    monitoring_tasks.tasks_for_deliveries(
        db, division=division, now=now, created_by=principal.username
    )
    return _back(division.id)


@router.get("/daily-report")
def daily_report_page(request: Request, db: DbSession, principal: Reporter) -> Response:
    """The resident's daily report form with their observation and recent reports."""
    context = {
        "mine": daily.mine(db, principal=principal, now=utcnow()),
        "symptoms": SYMPTOMS,
        "temperature_range": TEMPERATURE_RANGE,
        "states": STATE_LABELS,
        "reasons": REASON_LABELS,
        "saved": request.query_params.get("saved") == "1",
        "time_zone": LOCAL_TIME,
    }
    return render(request, "daily_report.html", context)


@router.post("/daily-report")
def daily_report_submit(
    db: DbSession,
    principal: Reporter,
    temperature: Annotated[str, Form(max_length=10)] = "",
    is_at_home: Annotated[str, Form(max_length=5)] = "",
    symptoms: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """The form's submission: validated as the API's body, so bad input stores nothing."""
    try:
        data = DailyReportIn(
            temperature=temperature,  # type: ignore[arg-type]  # pydantic parses the text
            is_at_home=is_at_home,  # type: ignore[arg-type]
            symptoms=symptoms or [],
            note=note,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise InvalidInput(f"the report was not saved: {problems}") from None
    daily.submit(db, principal=principal, data=data, now=utcnow())
    return RedirectResponse("/daily-report?saved=1", status_code=303)


def _back(division_id: int | None) -> Response:
    query = f"?{urlencode({'division_id': division_id})}" if division_id else ""
    return RedirectResponse(f"/monitoring{query}", status_code=303)

"""The self-check page (发热自查): anyone gets advice; a logged-in resident's check is stored;
officers see fever reports of their division and clear them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, optional_principal, require
from epicontrol.core.errors import InvalidInput
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission, is_allowed
from epicontrol.reports import rules, selfcheck
from epicontrol.reports.schemas import AdviceOut, PublicSelfCheckIn, SelfCheckIn
from epicontrol.reports.selfcheck_places import pickable_divisions
from epicontrol.reports.tips_limits import limit_body
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(limit_body)])
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
Reporter = Annotated[Principal, Depends(require(Permission.REPORT_SUBMIT))]
FeverReader = Annotated[Principal, Depends(require(Permission.MONITORING_READ))]
FeverClearer = Annotated[Principal, Depends(require(Permission.MONITORING_MANAGE))]
FormList = Annotated[list[str], Form()]
FormText = Annotated[str, Form(max_length=100)]
NO_STORE = {"Cache-Control": "no-store"}  # answers about someone's health stay off caches


def _stores(principal: Principal | None) -> bool:
    return (
        principal is not None
        and principal.resident_id is not None
        and is_allowed(principal.role, Permission.REPORT_SUBMIT)
    )


def _page(
    request: Request,
    db: Session,
    principal: Principal | None,
    *,
    advice: AdviceOut | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "advice": advice,
        "errors": errors or [],
        "stores": _stores(principal),
        "divisions": [] if _stores(principal) else pickable_divisions(db),
        "symptoms": rules.SYMPTOM_LABELS,
        "exposures": rules.EXPOSURE_LABELS,
        "danger_signs": rules.DANGER_SIGNS,
        "fever_threshold": rules.FEVER_THRESHOLD_CELSIUS,
        "temperature_range": rules.PLAUSIBLE_TEMPERATURE,
        "emergency_number": rules.EMERGENCY_NUMBER,
    }
    htmx = request.headers.get("hx-request") == "true"
    name = "selfcheck_advice.html" if htmx and (advice or errors) else "selfcheck.html"
    response = render(request, name, context, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


def _answers(
    temperature: str,
    symptoms: list[str],
    exposures: list[str],
    travel_place: list[str],
    travel_code: list[str],
    travel_on: list[str],
) -> dict[str, Any]:
    travel = [
        {"place": place.strip(), "region_code": (code.strip() or None), "on": on}
        for place, code, on in zip(travel_place, travel_code, travel_on, strict=False)
        if place.strip() or on
    ]
    return {
        "temperature": temperature.strip() or None,
        "symptoms": symptoms,
        "exposures": exposures,
        "travel": travel,
    }


def _messages(error: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in error.errors()]


@router.get("/self-check")
def self_check_page(
    request: Request, db: DbSession, principal: MaybePrincipal, check: int | None = None
) -> Response:
    """The questionnaire; `?check=` shows one of the caller's own stored checks again."""
    advice = None
    if check is not None and _stores(principal):
        assert principal is not None
        mine = {c.id: c for c in selfcheck.list_mine(db, principal=principal)}
        advice = mine.get(check)
    return _page(request, db, principal, advice=advice)


@router.post("/self-check")
def self_check_public(
    request: Request,
    db: DbSession,
    principal: MaybePrincipal,
    temperature: FormText = "",
    symptoms: FormList = [],  # noqa: B006  (FastAPI copies defaults)
    exposures: FormList = [],  # noqa: B006
    travel_place: FormList = [],  # noqa: B006
    travel_code: FormList = [],  # noqa: B006
    travel_on: FormList = [],  # noqa: B006
    latitude: FormText = "",
    longitude: FormText = "",
    division_id: FormText = "",
) -> Response:
    """Advice for anyone; nothing is stored (residents' own checks go to /self-check/mine)."""
    raw = _answers(temperature, symptoms, exposures, travel_place, travel_code, travel_on)
    location = {
        "latitude": latitude.strip() or None,
        "longitude": longitude.strip() or None,
        "division_id": division_id.strip() or None,
    }
    try:
        data = PublicSelfCheckIn.model_validate({**raw, "location": location})
        advice = selfcheck.advise(db, data=data, now=utcnow())
    except ValidationError as error:
        return _page(request, db, principal, errors=_messages(error), status_code=422)
    except InvalidInput as error:
        return _page(request, db, principal, errors=[error.message], status_code=422)
    return _page(request, db, principal, advice=advice)


@router.post("/self-check/mine")
def self_check_resident(
    request: Request,
    db: DbSession,
    principal: Reporter,
    temperature: FormText = "",
    symptoms: FormList = [],  # noqa: B006
    exposures: FormList = [],  # noqa: B006
    travel_place: FormList = [],  # noqa: B006
    travel_code: FormList = [],  # noqa: B006
    travel_on: FormList = [],  # noqa: B006
) -> Response:
    """Store the resident's check, then show it (a reload does not file it twice)."""
    raw = _answers(temperature, symptoms, exposures, travel_place, travel_code, travel_on)
    try:
        data = SelfCheckIn.model_validate(raw)
        stored = selfcheck.submit(db, principal=principal, data=data, now=utcnow())
    except ValidationError as error:
        return _page(request, db, principal, errors=_messages(error), status_code=422)
    except InvalidInput as error:
        db.rollback()
        return _page(request, db, principal, errors=[error.message], status_code=422)
    db.commit()  # durable before the resident is told what to do
    return RedirectResponse(f"/self-check?check={stored.id}", status_code=303)


@router.get("/fever-reports")
def fever_reports_page(request: Request, db: DbSession, principal: FeverReader) -> Response:
    """Fever self-checks of residents in the caller's division still to be cleared."""
    context = {
        "reports": selfcheck.list_fevers(db, principal=principal, purpose="fever reports page"),
        "can_clear": is_allowed(principal.role, Permission.MONITORING_MANAGE),
        "time_zone": LOCAL_TIME,
    }
    response = render(request, "selfcheck_fevers.html", context)
    response.headers.update(NO_STORE)
    return response


@router.post("/fever-reports/{self_check_id}/clear")
def fever_report_clear(
    self_check_id: int,
    db: DbSession,
    principal: FeverClearer,
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Clear one fever report with the reason given, then go back to the list."""
    if len(note.strip()) < 2:
        raise InvalidInput("say why the fever report is cleared (a negative test, a clinic's note)")
    selfcheck.clear(
        db, principal=principal, self_check_id=self_check_id, note=note.strip(), now=utcnow()
    )
    return RedirectResponse("/fever-reports", status_code=303)

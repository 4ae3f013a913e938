"""The public site's fever self-check page (发热自查): the questionnaire, then the advice with the
nearest fever clinic and a link to book a free online consultation. Nothing is stored."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession
from epicontrol.core.errors import InvalidInput
from epicontrol.core.i18n import gettext as _
from epicontrol.portal import selfcheck_public
from epicontrol.reports import rules
from epicontrol.reports.schemas import PublicSelfCheckIn
from epicontrol.reports.selfcheck_places import pickable_divisions
from epicontrol.reports.tips_limits import limit_body
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(limit_body)])
FormList = Annotated[list[str], Form()]
FormText = Annotated[str, Form(max_length=100)]
NO_STORE = {"Cache-Control": "no-store"}  # answers about someone's health stay off caches


def _page(
    request: Request,
    db: Session,
    *,
    result: selfcheck_public.PublicAdvice | None = None,
    errors: list[str] | None = None,
    links: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "result": result,
        "errors": errors or [],
        "links": links or {},
        "symptoms": selfcheck_public.symptom_choices(),
        "exposures": selfcheck_public.exposure_choices(),
        "divisions": pickable_divisions(db),
        "temperature_range": rules.PLAUSIBLE_TEMPERATURE,
        "emergency_number": rules.EMERGENCY_NUMBER,
    }
    response = render(request, "portal_selfcheck.html", context, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


def _messages(error: ValidationError) -> list[str]:
    fields = {"temperature": _("Temperature"), "symptoms": _("Symptoms"), "location": _("Location")}
    return [
        _(
            "Please check %(field)s: %(problem)s",
            field=fields.get(str(e["loc"][0]), str(e["loc"][0])) if e["loc"] else "",
            problem=e["msg"],
        )
        for e in error.errors()
    ]


def _links(data: PublicSelfCheckIn, result: selfcheck_public.PublicAdvice) -> dict[str, str]:
    location = data.location
    where: dict[str, str] = {}
    if location is not None and location.latitude is not None and location.longitude is not None:
        where = {"lat": str(location.latitude), "lon": str(location.longitude)}
    elif location is not None and location.division_id is not None:
        where = {"division": str(location.division_id)}
    summary = selfcheck_public.booking_summary(data)
    return {
        "clinics": "/public/clinics" + (f"?{urlencode(where)}" if where else ""),
        "consult": "/public/consult" + (f"?{urlencode({'symptoms': summary})}" if summary else ""),
    }


@router.get("/public/self-check")
def self_check_page(request: Request, db: DbSession) -> Response:
    """The questionnaire."""
    return _page(request, db)


@router.post("/public/self-check")
def self_check_submit(
    request: Request,
    db: DbSession,
    temperature: FormText = "",
    symptoms: FormList = [],  # noqa: B006  (FastAPI copies defaults)
    exposures: FormList = [],  # noqa: B006
    latitude: FormText = "",
    longitude: FormText = "",
    division_id: FormText = "",
) -> Response:
    """The advice in the visitor's language, with the nearest clinic and a booking link."""
    raw: dict[str, Any] = {
        "temperature": temperature.strip() or None,
        "symptoms": symptoms,
        "exposures": exposures,
        "location": {
            "latitude": latitude.strip() or None,
            "longitude": longitude.strip() or None,
            "division_id": division_id.strip() or None,
        },
    }
    try:
        data = PublicSelfCheckIn.model_validate(raw)
        result = selfcheck_public.check(db, data=data, now=utcnow())
    except ValidationError as error:
        return _page(request, db, errors=_messages(error), status_code=422)
    except InvalidInput as error:
        message = _(
            "Please check %(field)s: %(problem)s", field=_("Location"), problem=error.message
        )
        return _page(request, db, errors=[message], status_code=422)
    return _page(request, db, result=result, links=_links(data, result))

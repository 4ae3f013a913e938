"""Did I cross paths with a case? The page /public/me/crossed-paths and its API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, require
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission
from epicontrol.core.settings import Settings
from epicontrol.portal import crossed_paths
from epicontrol.portal.crossed_paths import CrossedPathsOut
from epicontrol.tracing.rules import TracingRules, load_rules
from epicontrol.web.templating import render

router = APIRouter()
Resident = Annotated[Principal, Depends(require(Permission.REPORT_SUBMIT))]
NO_STORE = {"Cache-Control": "no-store"}


def _rules(settings: Settings) -> TracingRules:
    # The deployment's tracing rules: a check-in without check-out lasts as long as tracing says.
    return load_rules(settings.tracing_rules_file)


@router.get("/api/me/crossed-paths", tags=["portal"])
def my_crossed_paths(
    db: DbSession, principal: Resident, settings: SettingsDep, response: Response
) -> CrossedPathsOut:
    """The published itinerary stops the caller's own stays of the last 14 days met."""
    response.headers.update(NO_STORE)
    return crossed_paths.check(db, principal=principal, now=utcnow(), rules=_rules(settings))


@router.get("/public/me/crossed-paths", include_in_schema=False)
def my_crossed_paths_page(
    request: Request, db: DbSession, principal: Resident, settings: SettingsDep
) -> Response:
    """The answer with what to do: self-check, fever clinics, report to the community."""
    result = crossed_paths.check(db, principal=principal, now=utcnow(), rules=_rules(settings))
    context: dict[str, Any] = {
        "result": result,
        "time_zone": LOCAL_TIME,
        "overlap": crossed_paths.OVERLAP,
    }
    response = render(request, "portal_crossed.html", context)
    response.headers.update(NO_STORE)
    return response

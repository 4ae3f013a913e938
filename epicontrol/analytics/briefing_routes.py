"""The daily briefing (每日简报) pages: a printable A4 page and the same page as PDF.

- GET /dashboard/briefing?division_id=&day=      the page (print it, or follow its PDF link)
- GET /dashboard/briefing.pdf?division_id=&day=  the PDF, printed by chromium on the server
Both need DASHBOARD_READ and a division in the caller's subtree (their own by default).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, Purpose, SettingsDep, require
from epicontrol.core.local_time import local_date
from epicontrol.core.policy import Permission
from epicontrol.core.settings import Settings
from epicontrol.divisions import service as divisions

router = APIRouter(include_in_schema=False)
DashboardReader = Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))]


@router.get("/dashboard/briefing")
def briefing_page(
    db: DbSession,
    principal: DashboardReader,
    settings: SettingsDep,
    purpose: Purpose,
    division_id: int | None = None,
    day: date | None = None,
) -> HTMLResponse:
    """The printable briefing of a division in the caller's scope; audited."""
    on_day = day or local_date(utcnow())
    division_id = division_id or principal.division_id
    html = _briefing(db, principal, settings, purpose, division_id, on_day, plotly="link")
    return HTMLResponse(html)


@router.get("/dashboard/briefing.pdf")
def briefing_pdf(
    db: DbSession,
    principal: DashboardReader,
    settings: SettingsDep,
    purpose: Purpose,
    division_id: int | None = None,
    day: date | None = None,
) -> Response:
    """The briefing printed to PDF (A4) with chromium; 503 where chromium is missing."""
    from epicontrol.analytics.briefing_pdf import find_chromium, print_pdf

    on_day = day or local_date(utcnow())
    division_id = division_id or principal.division_id
    binary = find_chromium()
    html = _briefing(db, principal, settings, purpose, division_id, on_day, plotly="inline")
    with tempfile.TemporaryDirectory(prefix="epicontrol-briefing-") as folder:
        page, pdf = Path(folder) / "briefing.html", Path(folder) / "briefing.pdf"
        page.write_text(html, encoding="utf-8")
        print_pdf(page, pdf, chromium=binary)
        content = pdf.read_bytes()
    name = f"briefing-{division_id}-{on_day.isoformat()}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type="application/pdf", headers=headers)


def _briefing(
    db: Session,
    principal: Principal,
    settings: Settings,
    purpose: str,
    division_id: int,
    day: date,
    *,
    plotly: str,
) -> str:
    """The briefing page of a division in scope (AccessDenied outside it); the read is audited."""
    from epicontrol.analytics import briefing

    division = divisions.get_in_scope(db, principal=principal, division_id=division_id)
    data = briefing.compute_data(db, division=division, day=day, settings=settings)
    features = briefing.map_features(db, division)
    audit.record(
        db,
        actor=principal,
        action="read",
        entity="briefing",
        entity_id=division.id,
        purpose=purpose,
        detail={"day": day.isoformat()},
    )
    query = urlencode({"division_id": division.id, "day": day.isoformat()})
    return briefing.render_html(
        data,
        features=features,
        generated_at=utcnow(),
        plotly="inline" if plotly == "inline" else "link",
        pdf_url=None if plotly == "inline" else f"/dashboard/briefing.pdf?{query}",
    )

"""Mask market pages for inspectors: board, seller and case pages (residents' pages:
report_pages.py).

- GET  /market                          the inspectors' board (MARKET_INSPECT)
- GET  /market/sellers/{id}             a seller: reports, cases, flags, likely duplicates
- POST /market/sellers/{id}/merge       merge a duplicate into this seller
- POST /market/cases                    open a case from a flag or a report
- GET  /market/cases/{id}               a case and its next step
- POST /market/cases/{id}/{step}        assign, inspection or close (409 page if stale)
- POST /market/reference-prices         set a price ceiling
- GET  /market/reports/{id}/photo       a report's photo (inspectors)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, require
from epicontrol.core.errors import EpicontrolError, InvalidInput
from epicontrol.core.i18n import gettext
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission
from epicontrol.core.settings import Settings
from epicontrol.market import board, cases, labels, reports, sellers
from epicontrol.market.models import (
    CaseStatus,
    Outcome,
    Product,
)
from epicontrol.market.rules import FlagRules
from epicontrol.market.schemas import (
    AssignIn,
    CaseOpenIn,
    CloseIn,
    InspectIn,
    ReferencePriceIn,
)
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Inspector = Annotated[Principal, Depends(require(Permission.MARKET_INSPECT))]
PRIVATE = {"Cache-Control": "private, no-store"}
FormText = Annotated[str, Form(max_length=4000)]


def local_today() -> date:
    """Today in China."""
    return utcnow().astimezone(LOCAL_TIME).date()


def validation_errors(bad: ValidationError) -> str:
    return "; ".join(gettext(str(e["msg"]).removeprefix("Value error, ")) for e in bad.errors())


# --- residents -------------------------------------------------------------------------------


@router.get("/market")
def board_page(
    request: Request, db: DbSession, principal: Inspector, settings: SettingsDep
) -> Response:
    """Flagged sellers first, the price chart, open cases, every seller, the ceilings."""
    return _board_page(request, db, principal, settings, error=None, status_code=200)


def _board_page(
    request: Request,
    db: Session,
    principal: Principal,
    settings: Settings,
    *,
    error: str | None,
    status_code: int,
) -> Response:
    from epicontrol.web.plotly_static import plotly_js_url

    found = board.board(
        db, principal=principal, rules=FlagRules.from_settings(settings), today=local_today()
    )
    context = {
        "board": found,
        "error": error,
        "plotly_src": plotly_js_url(),
        "products": list(Product),
        "label": labels.label,
        "yuan": board.yuan,
        "today": local_today().isoformat(),
        "rules": FlagRules.from_settings(settings),
    }
    return render(request, "market_board.html", context, status_code=status_code)


@router.get("/market/sellers/{seller_id}")
def seller_page(
    request: Request, db: DbSession, principal: Inspector, settings: SettingsDep, seller_id: int
) -> Response:
    """A seller with its reports (not who made them), cases, flags and likely duplicates."""
    found = board.seller_page(
        db,
        principal=principal,
        seller_id=seller_id,
        rules=FlagRules.from_settings(settings),
        today=local_today(),
    )
    context = {"page": found, "label": labels.label, "yuan": board.yuan}
    return render(request, "market_seller.html", context)


@router.post("/market/sellers/{seller_id}/merge")
def merge_from_page(
    db: DbSession, principal: Inspector, seller_id: int, duplicate_id: Annotated[int, Form()]
) -> Response:
    """Merge the duplicate chosen into this seller."""
    sellers.merge(db, principal=principal, keep_id=seller_id, duplicate_id=duplicate_id)
    return RedirectResponse(f"/market/sellers/{seller_id}", status_code=303)


@router.post("/market/cases")
def open_from_page(
    db: DbSession,
    principal: Inspector,
    seller_id: Annotated[int, Form()],
    source: Annotated[str, Form()],
    report_ids: Annotated[str, Form(max_length=4000)],
) -> Response:
    """Open a case from a flag's or a report's button."""
    try:
        ids = [int(part) for part in report_ids.split(",") if part.strip()]
        data = CaseOpenIn(seller_id=seller_id, source=source, report_ids=ids)
    except (ValueError, ValidationError) as bad:
        raise InvalidInput(f"not a list of report numbers: {report_ids!r}") from bad
    made = cases.open_case(db, principal=principal, data=data, now=utcnow())
    return RedirectResponse(f"/market/cases/{made.id}", status_code=303)


@router.get("/market/cases/{case_id}")
def case_page(request: Request, db: DbSession, principal: Inspector, case_id: int) -> Response:
    """A case with its reports and the form for its next step."""
    cases.read(db, principal=principal, case_id=case_id)  # audited once per view
    return _case_page(request, db, principal, case_id, error=None, status_code=200)


def _case_page(
    request: Request,
    db: Session,
    principal: Principal,
    case_id: int,
    *,
    error: str | None,
    status_code: int,
) -> Response:
    row = cases.get_in_scope(db, principal=principal, case_id=case_id)
    path = board.division_path(db, row.division_id)
    described = cases.describe(db, row)
    context = {
        "case": described,
        "reports": board.reports_by_id(db, described.report_ids),
        "inspectors": cases.assignable(db, division_path=path),
        "outcomes": list(Outcome),
        "error": error,
        "CLOSED": CaseStatus.CLOSED,
        "label": labels.label,
        "yuan": board.yuan,
        "today": local_today().isoformat(),
    }
    return render(request, "market_case.html", context, status_code=status_code)


@router.post("/market/cases/{case_id}/{step}")
def case_step(
    request: Request,
    db: DbSession,
    principal: Inspector,
    case_id: int,
    step: str,
    version: Annotated[int, Form()],
    assignee_user_id: FormText = "",
    inspected_on: FormText = "",
    findings: FormText = "",
    samples: FormText = "",
    outcome: FormText = "",
    fine_yuan: FormText = "",
) -> Response:
    """One step of a case from its page; a stale version shows the page again with 409."""
    now = utcnow()
    try:
        if step == "assign":
            assigned = AssignIn.model_validate(
                {"version": version, "assignee_user_id": assignee_user_id}
            )
            cases.assign(db, principal=principal, case_id=case_id, data=assigned)
        elif step == "inspection":
            inspected = InspectIn.model_validate(
                {"version": version, "inspected_on": inspected_on, "findings": findings,
                 "samples": samples}
            )  # fmt: skip
            cases.record_inspection(
                db, principal=principal, case_id=case_id, data=inspected, now=now
            )
        elif step == "close":
            closing = CloseIn.model_validate(
                {"version": version, "outcome": outcome, "fine_yuan": fine_yuan or None}
            )
            cases.close(db, principal=principal, case_id=case_id, data=closing, now=now)
        else:
            raise InvalidInput(f"no step {step!r}: assign, inspection or close")
    except ValidationError as bad:
        db.rollback()
        return _case_page(
            request, db, principal, case_id, error=validation_errors(bad), status_code=422
        )
    except EpicontrolError as refused:
        if refused.status_code == 403:
            raise
        db.rollback()
        return _case_page(
            request, db, principal, case_id, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse(f"/market/cases/{case_id}", status_code=303)


@router.post("/market/reference-prices")
def reference_from_page(
    request: Request,
    db: DbSession,
    principal: Inspector,
    settings: SettingsDep,
    product: FormText = "",
    division_id: FormText = "",
    max_unit_yuan: FormText = "",
    valid_from: FormText = "",
    valid_to: FormText = "",
    source: FormText = "",
) -> Response:
    """Set a ceiling from the board's form."""
    fields = {
        "product": product, "division_id": division_id, "max_unit_yuan": max_unit_yuan,
        "valid_from": valid_from, "valid_to": valid_to or None, "source": source,
    }  # fmt: skip
    try:
        data = ReferencePriceIn.model_validate(fields)
        board.set_reference(db, principal=principal, data=data)
    except ValidationError as bad:
        db.rollback()
        return _board_page(
            request, db, principal, settings, error=validation_errors(bad), status_code=422
        )
    except EpicontrolError as refused:
        if refused.status_code == 403:
            raise
        db.rollback()
        return _board_page(
            request, db, principal, settings, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/market#references", status_code=303)


@router.get("/market/reports/{report_id}/photo")
def report_photo(
    db: DbSession, principal: Inspector, settings: SettingsDep, report_id: int
) -> Response:
    """A report's photo, for an inspector of the seller's area (audited)."""
    path, media_type = reports.photo_for(
        db, principal=principal, report_id=report_id, own_only=False, data_dir=settings.data_dir
    )
    return FileResponse(path, media_type=media_type, headers=PRIVATE)

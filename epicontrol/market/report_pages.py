"""Mask market pages for residents (zh/en, phone-first): the report form and their reports.

- GET  /public/market/report            the report form (MARKET_REPORT)
- GET  /public/market/sellers           sellers like the name typed (htmx fragment)
- POST /public/market/report            a price report or complaint, with an optional photo
- GET  /public/market/mine              my reports and their outcomes
- GET  /public/market/reports/{id}/photo  my report's photo
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, require
from epicontrol.core.errors import EpicontrolError
from epicontrol.core.i18n import gettext
from epicontrol.core.policy import Permission
from epicontrol.core.settings import Settings
from epicontrol.market import reports, sellers
from epicontrol.market.models import ComplaintKind, Product, ReportKind, SellerKind
from epicontrol.market.pages import PRIVATE, FormText, local_today, validation_errors
from epicontrol.market.schemas import ReportIn
from epicontrol.web.templating import render

router = APIRouter(include_in_schema=False)
Reporter = Annotated[Principal, Depends(require(Permission.MARKET_REPORT))]


@router.get("/public/market/report")
def report_form(request: Request, db: DbSession, principal: Reporter) -> Response:
    """The report form: a seller (picked or named), a price or a complaint, a photo."""
    return _report_page(request, db, principal, message=None, values={}, status_code=200)


def _report_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    message: str | None,
    values: dict[str, Any],
    status_code: int,
) -> Response:
    context = {
        "message": message,
        "values": values,
        "divisions": reports.division_choices(db, principal=principal),
        "products": list(Product),
        "complaint_kinds": list(ComplaintKind),
        "seller_kinds": list(SellerKind),
        "today": local_today().isoformat(),
    }
    return render(request, "market_report.html", context, status_code=status_code)


@router.get("/public/market/sellers")
def seller_suggestions(
    request: Request,
    db: DbSession,
    principal: Reporter,
    seller_name: str = "",
    division_id: int = 0,
) -> Response:
    """Sellers of the division whose names look like the one typed (to pick, not duplicate)."""
    wanted = sellers.normalised(seller_name)
    found = []
    if len(wanted) >= 2 and division_id:
        from rapidfuzz import fuzz

        rows = sellers.sellers_in_division(db, division_id=division_id)
        scored = sorted(
            (
                (fuzz.partial_ratio(wanted, sellers.normalised(name)), sid, name)
                for sid, name in rows
            ),
            reverse=True,
        )
        found = [(sid, name) for score, sid, name in scored[:5] if score >= 60]
    return render(request, "market_suggestions.html", {"found": found})


@router.post("/public/market/report")
def submit_report(
    request: Request,
    db: DbSession,
    principal: Reporter,
    settings: SettingsDep,
    kind: FormText = "price",
    seller_id: FormText = "",
    seller_name: FormText = "",
    seller_kind: FormText = "pharmacy",
    division_id: FormText = "",
    address: FormText = "",
    licence_number: FormText = "",
    product: FormText = "",
    pack_size: FormText = "",
    price_yuan: FormText = "",
    complaint_kind: FormText = "",
    text: FormText = "",
    observed_on: FormText = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store the report and show it among mine, or the form again with the reason."""
    values = {
        "kind": kind, "seller_id": seller_id, "seller_name": seller_name,
        "seller_kind": seller_kind, "division_id": division_id, "address": address,
        "licence_number": licence_number, "product": product, "pack_size": pack_size,
        "price_yuan": price_yuan, "complaint_kind": complaint_kind, "text": text,
        "observed_on": observed_on,
    }  # fmt: skip
    is_price = kind == ReportKind.PRICE.value
    fields = {
        "kind": kind,
        "seller_id": seller_id or None,
        "seller_name": seller_name,
        "seller_kind": seller_kind or SellerKind.PHARMACY.value,
        "division_id": division_id or None,
        "address": address,
        "licence_number": licence_number,
        "product": (product or None) if is_price else None,
        "pack_size": (pack_size or None) if is_price else None,
        "price_yuan": (price_yuan or None) if is_price else None,
        "complaint_kind": None if is_price else (complaint_kind or None),
        "text": text,
        "observed_on": observed_on or local_today(),
    }
    try:
        data = ReportIn.model_validate(fields)
        made = reports.submit(
            db,
            principal=principal,
            data=data,
            today=local_today(),
            photo=_photo(photo, settings),
            data_dir=settings.data_dir,
        )
    except ValidationError as bad:
        db.rollback()
        return _report_page(
            request, db, principal, message=validation_errors(bad), values=values, status_code=422
        )
    except EpicontrolError as refused:
        db.rollback()
        return _report_page(
            request,
            db,
            principal,
            message=gettext(refused.message),
            values=values,
            status_code=refused.status_code,
        )
    return RedirectResponse(f"/public/market/mine#report-{made.id}", status_code=303)


def _photo(upload: UploadFile | None, settings: Settings) -> reports.Photo | None:
    if upload is None or not upload.filename:
        return None
    # One byte more than allowed is enough to refuse: the rest is never read into memory.
    content = upload.file.read(settings.market_photo_max_bytes + 1)
    if not content:
        return None
    return reports.Photo.checked(content, max_bytes=settings.market_photo_max_bytes)


@router.get("/public/market/mine")
def my_reports(request: Request, db: DbSession, principal: Reporter) -> Response:
    """My reports, newest first, with the outcome of the case about each (new ones marked)."""
    mine = reports.mine(db, principal=principal, now=utcnow())
    response = render(request, "market_mine.html", {"mine": mine})
    response.headers.update(PRIVATE)
    return response


@router.get("/public/market/reports/{report_id}/photo")
def my_photo(db: DbSession, principal: Reporter, settings: SettingsDep, report_id: int) -> Response:
    """The photo of one of my reports."""
    path, media_type = reports.photo_for(
        db, principal=principal, report_id=report_id, own_only=True, data_dir=settings.data_dir
    )
    return FileResponse(path, media_type=media_type, headers=PRIVATE)


# --- inspectors ------------------------------------------------------------------------------

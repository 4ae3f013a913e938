"""Mask market monitoring: the JSON API (the pages, included below: report_pages.py for
residents, pages.py for inspectors).

- POST /api/market/reports                  a price report or complaint (MARKET_REPORT)
- GET  /api/market/reports/mine             the caller's reports with their outcomes
- GET  /api/market/flags                    flagged sellers of the caller's area (MARKET_INSPECT)
- POST /api/market/cases                    open a case from a flag or a report
- GET  /api/market/cases/{id}               one case
- POST /api/market/cases/{id}/assign        assign (compare-and-set on `version`: 409 if stale)
- POST /api/market/cases/{id}/inspection    record the inspection
- POST /api/market/cases/{id}/close         close with the outcome
- POST /api/market/sellers/{id}/merge/{dup} merge a duplicate seller into this one
- POST /api/market/reference-prices         set a price ceiling
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, require
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.policy import Permission
from epicontrol.market import board, cases, reports, sellers
from epicontrol.market.pages import router as pages_router
from epicontrol.market.report_pages import router as report_pages_router
from epicontrol.market.rules import FlagRules
from epicontrol.market.schemas import (
    AssignIn,
    CaseOpenIn,
    CaseOut,
    CloseIn,
    FlagOut,
    InspectIn,
    MyReportOut,
    ReferencePriceIn,
    ReportIn,
)

router = APIRouter(tags=["market"])
Reporter = Annotated[Principal, Depends(require(Permission.MARKET_REPORT))]
Inspector = Annotated[Principal, Depends(require(Permission.MARKET_INSPECT))]


def today() -> date:
    """Today in China (reports and flags are dated by the local day)."""
    return utcnow().astimezone(LOCAL_TIME).date()


@router.post("/api/market/reports", status_code=201)
def submit_report(db: DbSession, principal: Reporter, data: ReportIn) -> dict[str, int]:
    """Store a report (a photo goes through the page's form)."""
    made = reports.submit(db, principal=principal, data=data, today=today())
    return {"id": made.id, "seller_id": made.seller_id}


@router.get("/api/market/reports/mine")
def my_reports(db: DbSession, principal: Reporter) -> list[MyReportOut]:
    """The caller's reports, newest first, with the outcome of the case about each."""
    return reports.mine(db, principal=principal, now=utcnow())


@router.get("/api/market/flags")
def list_flags(db: DbSession, principal: Inspector, settings: SettingsDep) -> list[FlagOut]:
    """Flagged sellers of the caller's area with the reports behind each flag."""
    rules = FlagRules.from_settings(settings)
    return board.flags_out(db, principal=principal, rules=rules, today=today())


@router.post("/api/market/cases", status_code=201)
def open_case(db: DbSession, principal: Inspector, data: CaseOpenIn) -> CaseOut:
    """Open a case (409 if the seller has an open one)."""
    made = cases.open_case(db, principal=principal, data=data, now=utcnow())
    return cases.describe(db, made)


@router.get("/api/market/cases/{case_id}")
def read_case(db: DbSession, principal: Inspector, case_id: int) -> CaseOut:
    """One case of the caller's area."""
    return cases.describe(db, cases.read(db, principal=principal, case_id=case_id))


@router.post("/api/market/cases/{case_id}/assign")
def assign_case(db: DbSession, principal: Inspector, case_id: int, data: AssignIn) -> CaseOut:
    """Assign the case to an inspector."""
    return cases.describe(db, cases.assign(db, principal=principal, case_id=case_id, data=data))


@router.post("/api/market/cases/{case_id}/inspection")
def record_inspection(
    db: DbSession, principal: Inspector, case_id: int, data: InspectIn
) -> CaseOut:
    """Record the inspection: date, findings, samples."""
    done = cases.record_inspection(
        db, principal=principal, case_id=case_id, data=data, now=utcnow()
    )
    return cases.describe(db, done)


@router.post("/api/market/cases/{case_id}/close")
def close_case(db: DbSession, principal: Inspector, case_id: int, data: CloseIn) -> CaseOut:
    """Close the case with its outcome; its reporters see it on their page."""
    done = cases.close(db, principal=principal, case_id=case_id, data=data, now=utcnow())
    return cases.describe(db, done)


@router.post("/api/market/sellers/{seller_id}/merge/{duplicate_id}")
def merge_sellers(
    db: DbSession, principal: Inspector, seller_id: int, duplicate_id: int
) -> dict[str, int]:
    """Merge a duplicate seller into this one (reports and cases move)."""
    kept = sellers.merge(db, principal=principal, keep_id=seller_id, duplicate_id=duplicate_id)
    return {"id": kept.id}


@router.post("/api/market/reference-prices", status_code=201)
def set_reference_price(
    db: DbSession, principal: Inspector, data: ReferencePriceIn
) -> dict[str, int]:
    """Set a price ceiling per piece for a product in a division of the caller's area."""
    return {"id": board.set_reference(db, principal=principal, data=data).id}


router.include_router(report_pages_router)
router.include_router(pages_router)

"""Routes of non-meeting approvals: the applicants' pages (applicant_pages.py) and the
reviewers' and catalogue editors' pages (staff_pages.py)."""

from __future__ import annotations

from fastapi import APIRouter

from epicontrol.approvals.applicant_pages import router as applicant_router
from epicontrol.approvals.staff_pages import router as staff_router

router = APIRouter()
router.include_router(applicant_router)
router.include_router(staff_router)

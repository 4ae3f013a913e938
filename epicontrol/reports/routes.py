"""The reports domain's routes: self-checks, public reports and their pages; daily monitoring."""

from __future__ import annotations

from fastapi import APIRouter

from epicontrol.reports.monitoring_routes import router as monitoring_router
from epicontrol.reports.selfcheck_pages import router as selfcheck_pages_router
from epicontrol.reports.selfcheck_routes import router as selfcheck_router
from epicontrol.reports.tips_pages import router as tips_pages_router
from epicontrol.reports.tips_routes import router as tips_router

router = APIRouter()
router.include_router(selfcheck_router)
router.include_router(tips_router)
router.include_router(selfcheck_pages_router)
router.include_router(tips_pages_router)
router.include_router(monitoring_router)

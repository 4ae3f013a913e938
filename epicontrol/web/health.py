"""Liveness and readiness: /healthz answers only when the store answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from epicontrol import __version__
from epicontrol.core.deps import DbSession

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(db: DbSession) -> dict[str, str]:
    """ok when the operational store answers a query."""
    db.execute(text("SELECT 1"))
    return {"status": "ok", "database": db.get_bind().dialect.name, "version": __version__}

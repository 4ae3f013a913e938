"""Face-mask ordering: quotas, reservations, lottery, pickup (helper F)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Agency data exchange routes (helper H)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

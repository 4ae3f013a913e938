"""API routes and pages (to be filled)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

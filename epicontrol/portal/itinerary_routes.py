"""Published case itineraries, crossed paths and own travel record (helper C)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

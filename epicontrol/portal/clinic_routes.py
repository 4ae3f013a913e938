"""Public fever-clinic map and list, affected estates, self-check and consultations (helper B)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

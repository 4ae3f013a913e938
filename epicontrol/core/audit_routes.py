"""Audit chain verification and a resident's view of who accessed their record (helper G)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

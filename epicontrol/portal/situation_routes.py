"""The public home and real-time situation pages, and the feed import API (helper A)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Intelligent Q&A over published articles (helper E)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

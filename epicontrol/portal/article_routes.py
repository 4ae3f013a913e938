"""Releases, rumor rebuttals and basic facts: drafting, review, publication, Atom (helper D)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

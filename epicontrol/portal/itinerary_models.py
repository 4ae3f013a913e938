"""Anonymised case itineraries awaiting approval or published (helper C)."""

from __future__ import annotations

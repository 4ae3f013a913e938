"""Fever-clinic opening hours and online consultation bookings (helper B)."""

from __future__ import annotations

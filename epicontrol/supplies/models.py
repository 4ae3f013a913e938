"""Mask supply rounds, household quotas, reservations and pickups (helper F)."""

from __future__ import annotations

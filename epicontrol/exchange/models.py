"""Grants, API keys and exchange request statistics (helper H)."""

from __future__ import annotations

"""The hash chain over the audit log (helper G)."""

from __future__ import annotations

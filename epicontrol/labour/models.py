"""Tables of this domain (none yet)."""

from __future__ import annotations

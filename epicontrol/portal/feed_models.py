"""Provincial and national figures imported from a CSV feed (helper A)."""

from __future__ import annotations

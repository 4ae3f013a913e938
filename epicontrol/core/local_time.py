"""The deployment's local time (China), in which people's dates are counted."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# Onset, report and observation dates, and "today" on every page, are China dates.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The China date of a moment."""
    return moment.astimezone(LOCAL_TIME).date()

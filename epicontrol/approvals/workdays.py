"""Legal time limits in working days (工作日): weekends and the configured holidays excluded.

The Administrative Licensing Law (行政许可法, art. 42, 82) counts its limits in working days;
the official holiday list changes every year (and moves some weekend days into working days),
so it is a setting (EPICONTROL_APPROVAL_HOLIDAYS) rather than a rule here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The `days`-th working day after `start` (the day of submission does not count)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days after `start` up to and including `end` (0 if `end` is not later)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count


def is_overdue(due_on: date | None, today: date) -> bool:
    """Past the last working day of the limit."""
    return due_on is not None and today > due_on

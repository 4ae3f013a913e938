"""Shapes of the public fever-clinic list and of the officers' opening-hours form."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DayHoursIn(BaseModel):
    """Opening hours on one weekday (0 = Monday), local time."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    opens_at: time
    closes_at: time = Field(description="at or before opens_at: closes after midnight")


class ClinicHoursIn(BaseModel):
    """A clinic's phone and weekly hours; `is_open_24h` makes the weekly hours unnecessary."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\-() ]*$")
    is_open_24h: bool = False
    weekly: list[DayHoursIn] = Field(default_factory=list, max_length=7)

    @model_validator(mode="after")
    def _one_row_per_day(self) -> ClinicHoursIn:
        days = [day.weekday for day in self.weekly]
        if len(days) != len(set(days)):
            raise ValueError("each weekday may appear once in `weekly`")
        if not self.is_open_24h and not self.weekly:
            raise ValueError("give the weekly hours, or set is_open_24h")
        return self


class DayHoursOut(BaseModel):
    """One weekday's hours as shown."""

    weekday: int
    opens_at: time
    closes_at: time


class ClinicPublicOut(BaseModel):
    """A designated fever clinic as the public sees it."""

    place_id: int
    code: str
    name: str
    address: str
    division: str
    latitude: float | None
    longitude: float | None
    distance_km: float | None = Field(description="straight-line distance from the origin")
    phone: str
    is_open_24h: bool
    weekly: list[DayHoursOut]
    is_open_now: bool | None = Field(description="None when no hours are recorded")
    waiting: int = Field(description="today's registrations still waiting to be seen")
    queue_minutes: int = Field(description="waiting x minutes_per_patient")


class OriginOut(BaseModel):
    """Where the distances are measured from."""

    latitude: float | None
    longitude: float | None
    division_id: int | None


class ClinicListOut(BaseModel):
    """Every fever clinic, nearest first when a location was given."""

    origin: OriginOut | None
    nearest_place_id: int | None
    minutes_per_patient: int
    clinics: list[ClinicPublicOut]

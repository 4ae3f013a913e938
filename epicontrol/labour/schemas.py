"""Labour needs, profiles, candidates and applications as the API takes and shows them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class NeedIn(BaseModel):
    """A need an essential manufacturer posts (skills, shift and days from skills.py)."""

    model_config = ConfigDict(extra="forbid")

    division_id: int
    employer_name: str = Field(default="", max_length=200)  # the login's name when empty
    title: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field(min_length=1, max_length=10)
    positions: int = Field(gt=0, le=10_000)
    place_name: str = Field(default="", max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    shift: str
    days: list[str] = Field(min_length=1, max_length=7)
    start_date: date
    pay_yuan_per_day: int = Field(gt=0, le=100_000)


class NeedOut(BaseModel):
    """A need with its seats; `distance_km` from the reader's home when known."""

    id: int
    division_id: int
    division_name: str
    employer_name: str
    title: str
    skills: list[str]
    skill_labels: list[str]
    positions: int
    filled: int
    fill_rate: float
    place_name: str
    latitude: float | None
    longitude: float | None
    shift: str
    shift_label: str
    days: list[str]
    day_labels: list[str]
    start_date: date
    pay_yuan_per_day: int
    status: str
    distance_km: float | None = None


class ProfileIn(BaseModel):
    """A resident's offer of work."""

    model_config = ConfigDict(extra="forbid")

    skills: list[str] = Field(min_length=1, max_length=10)
    shifts: list[str] = Field(min_length=1, max_length=3)
    days: list[str] = Field(min_length=1, max_length=7)
    max_distance_km: float = Field(gt=0, le=200)


class ProfileOut(BaseModel):
    """A resident's stored offer of work."""

    skills: list[str]
    shifts: list[str]
    days: list[str]
    max_distance_km: float


class CandidateOut(BaseModel):
    """A ranked candidate for a need, as an officer sees them (name masked)."""

    resident_id: int
    name_masked: str
    score: float
    skill_overlap: float
    availability_overlap: float
    distance_km: float | None
    skills: list[str]
    application_id: int | None
    application_status: str | None


class EarlierOut(BaseModel):
    """An earlier round of the same application, before the resident applied again: how it
    ended (`released`, `dropped`, `withdrawn`) and when they applied again (`reapplied_on`: that
    day in China)."""

    status: str
    reapplied_at: datetime
    reapplied_on: date


class ApplicationOut(BaseModel):
    """One resident for one need. The employer sees `name` and `phone` only once the resident
    has confirmed; before that `name` is masked and `phone` is None. `is_green`, for a seat held
    (accepted, confirmed) only: whether the resident's risk status is green when read; a hire
    no longer green must not come to work, and the employer may release the seat."""

    id: int
    need_id: int
    need_title: str
    employer_name: str
    status: str
    name: str
    phone: str | None = None
    skills: list[str] = []
    score: float | None = None
    distance_km: float | None = None
    is_green: bool | None = None
    earlier: list[EarlierOut] = []

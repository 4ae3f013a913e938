"""Shapes returned by the presence API and page."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, computed_field


class PersonInside(BaseModel):
    """Someone inside the division now, and the record that keeps them inside."""

    resident_id: int | None
    name_masked: str
    place_id: int
    place_name: str
    since: datetime


class InsideOut(BaseModel):
    """Who is inside a division now: counts and one page of people, newest first."""

    division_id: int
    as_of: datetime
    total: int
    residents: int
    unregistered: int
    offset: int
    people: list[PersonInside]


class Arrival(BaseModel):
    """Someone's first arrival of the day (a risk-area one if any), with where they came from."""

    resident_id: int | None
    name_masked: str
    place_name: str
    arrived_at: datetime
    origin: str | None
    previous_place: str | None
    previous_division: str | None
    risk_area: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_from_risk_area(self) -> bool:
        """Whether a risk area active that day covers where this person came from."""
        return self.risk_area is not None


class ArrivalsOut(BaseModel):
    """Arrivals of one local day: counts and one page, risk-area arrivals first."""

    division_id: int
    day: date
    total: int
    from_risk_areas: int
    offset: int
    arrivals: list[Arrival]


class DayCount(BaseModel):
    """In and out records at the division's places during one local day."""

    day: date
    entries: int
    exits: int


class PresenceSummary(BaseModel):
    """The four figures of the presence page (counts only, no personal data)."""

    division_id: int
    division_name: str
    as_of: datetime
    day: date
    inside_now: int
    arrivals_today: int
    arrivals_from_risk_areas: int
    entries_today: int
    exits_today: int


class Overview(BaseModel):
    """Everything the presence page shows."""

    figures: PresenceSummary
    by_day: list[DayCount]
    arrivals: ArrivalsOut

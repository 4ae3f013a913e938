"""Shapes of case itineraries: the public view (anonymised) and the staff view (with ids)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class PublicStopOut(BaseModel):
    """A public place a case visited, times rounded to the half hour."""

    place_name: str
    address: str
    place_kind: str
    started_at: datetime
    ended_at: datetime


class PublicItineraryOut(BaseModel):
    """A published itinerary: public case number, age band, sex, places and times."""

    number: int
    label: str = Field(description='"病例12" or "Case 12", in the request\'s language')
    age_band: str = Field(description='e.g. "30-39", or "80+"')
    sex: str = Field(description="M or F")
    report_date: date
    published_at: datetime
    stops: list[PublicStopOut]


class PublicItineraryPage(BaseModel):
    """A page of published itineraries, newest first."""

    total: int
    offset: int
    items: list[PublicItineraryOut]


class StopOut(PublicStopOut):
    """A stop as staff see it, with the id they remove it by."""

    id: int


class StaffItineraryOut(BaseModel):
    """An itinerary in any state, for the officers who draft, approve and withdraw it."""

    id: int
    case_id: int
    case_number: str
    state: str
    public_number: int | None
    age_band: str
    sex: str
    report_date: date
    left_out: int = Field(description="stays of the investigation not published (home, work)")
    drafted_by: str
    edited_by: str | None
    approved_by: str | None
    withdrawn_by: str | None
    withdraw_reason: str
    created_at: datetime
    published_at: datetime | None
    withdrawn_at: datetime | None
    stops: list[StopOut]


class DraftIn(BaseModel):
    """Draft (or redraft) the itinerary of a case from its investigation."""

    case_id: int


class WithdrawIn(BaseModel):
    """Why a published itinerary is taken down."""

    reason: str = Field(min_length=2, max_length=300)


def age_band_label(lower: int, oldest: int) -> str:
    """ "30-39" for 30; "80+" for the oldest band."""
    return f"{lower}+" if lower >= oldest else f"{lower}-{lower + 9}"

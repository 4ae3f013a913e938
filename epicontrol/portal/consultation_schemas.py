"""Shapes of online consultation bookings."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from epicontrol.portal.consultation_models import ConsultationState

MAX_SUMMARY = 500


class BookingIn(BaseModel):
    """A resident's booking: the slot's start and what troubles them."""

    model_config = ConfigDict(extra="forbid")

    slot_at: AwareDatetime = Field(description="start of a 15-minute slot, with its time zone")
    symptoms_summary: str = Field(default="", max_length=MAX_SUMMARY)

    @field_validator("symptoms_summary", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class SlotOut(BaseModel):
    """One bookable slot and how many places it has left."""

    slot_at: datetime
    capacity: int
    booked: int
    free: int


class ConsultationOut(BaseModel):
    """A booking as its resident sees it."""

    id: int
    slot_at: datetime
    symptoms_summary: str
    state: ConsultationState
    created_at: datetime


class ConsultationStaffOut(ConsultationOut):
    """A booking as clinic staff see it: the resident's name masked."""

    resident_id: int
    name_masked: str
    handled_by: str | None

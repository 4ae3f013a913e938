"""Mask rounds, reservations and pickups as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from epicontrol.supplies.models import Allocation, ReservationStatus


class RoundIn(BaseModel):
    """A supply round an officer opens (times are timezone-aware)."""

    model_config = ConfigDict(extra="forbid")

    division_id: int
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(default="", max_length=200)
    allocation: Allocation
    masks_per_household: int = Field(gt=0, le=1000)
    supply: int = Field(gt=0, le=100_000_000)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    pickup_starts_at: AwareDatetime
    pickup_ends_at: AwareDatetime
    pharmacy_ids: list[int] = Field(min_length=1, max_length=500)


class PharmacyOut(BaseModel):
    """A pharmacy where masks are picked up."""

    id: int
    code: str
    name: str
    address: str


class RoundOut(BaseModel):
    """A round with its counts: applications (lottery) or reservations, and collected."""

    id: int
    division_id: int
    division_name: str
    title_zh: str
    title_en: str
    allocation: Allocation
    masks_per_household: int
    supply: int
    reserved: int
    opens_at: datetime
    closes_at: datetime
    pickup_starts_at: datetime
    pickup_ends_at: datetime
    lottery_seed: str | None
    drawn_at: datetime | None
    pharmacies: list[PharmacyOut]
    households: int = 0  # reservations or applications
    confirmed: int = 0
    collected: int = 0


class ReservationIn(BaseModel):
    """A resident's order for their household."""

    model_config = ConfigDict(extra="forbid")

    round_id: int
    place_id: int
    masks: int | None = Field(default=None, gt=0, le=1000)  # the full quota when left out


class ReservationOut(BaseModel):
    """A household's reservation with its pickup code once it has one."""

    id: int
    round_id: int
    round_title: str
    allocation: Allocation
    status: ReservationStatus
    masks: int
    pickup_code: str | None
    pharmacy: PharmacyOut
    pickup_starts_at: datetime
    pickup_ends_at: datetime
    closes_at: datetime
    created_at: datetime
    collected_at: datetime | None


class DrawOut(BaseModel):
    """A lottery's published record: enough for anyone to re-run it (supplies/lottery.py)."""

    round_id: int
    closes_at: datetime
    supply: int
    seed: str
    applications: list[int]
    masks: dict[int, int]  # application id -> masks asked for
    drawn: list[int]  # in ranking order
    method: str


class PickupIn(BaseModel):
    """A pickup code typed or scanned at the pharmacy counter."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    place_id: int | None = None  # needed only by staff not posted at one pharmacy


class PickupOut(BaseModel):
    """What the counter shows: hand out `masks` masks, or why not."""

    ok: bool
    reason: str  # collected, unknown_code, already_collected, wrong_pharmacy, outside_window
    message: str
    reservation_id: int | None = None
    masks: int | None = None
    name_masked: str | None = None
    pharmacy: str | None = None
    collected_at: datetime | None = None


class RoundForm(BaseModel):
    """The officer page's form: like RoundIn, with China wall-clock times as typed."""

    division_id: int
    title_zh: str = ""
    title_en: str = ""
    allocation: Allocation = Allocation.LOTTERY
    masks_per_household: int = 0
    supply: int = 0
    opens_at: str = ""
    closes_at: str = ""
    pickup_starts_at: str = ""
    pickup_ends_at: str = ""
    pharmacy_ids: list[int] = []

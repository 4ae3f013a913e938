"""Request and response bodies of record linkage."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_ID_TYPED = re.compile(r"^[0-9]{14,18}[0-9X]$")
_PHONE_TYPED = re.compile(r"^[0-9]{8,13}$")
_SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "MALE": "M", "FEMALE": "F"}


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class LinkageRecordIn(BaseModel):
    """One record to link, as its source typed it: the ID number may be mistyped or missing,
    but what is there must look like what it claims to be."""

    model_config = ConfigDict(str_strip_whitespace=True)

    source_ref: str = Field(min_length=1, max_length=120, description="sender's own reference")
    name: str | None = Field(default=None, max_length=40)
    id_number: str | None = Field(default=None, description="as typed; 15-19 digits, X allowed")
    phone: str | None = None
    sex: str | None = Field(default=None, description="M/F or 男/女")
    birth_date: date | None = None

    _blanks = field_validator("name", "id_number", "phone", "sex", "birth_date", mode="before")(
        _blank_to_none
    )

    @field_validator("id_number")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        number = value.upper().replace(" ", "")
        if not _ID_TYPED.match(number):
            raise ValueError("id_number must be 15 to 19 digits (the last may be X)")
        return number

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[\s\-()]", "", value)
        digits = digits.removeprefix("+86").removeprefix("0086")
        if not _PHONE_TYPED.match(digits):
            raise ValueError("phone must be 8 to 13 digits")
        return digits

    @field_validator("sex")
    @classmethod
    def _sex_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.upper() not in _SEX:
            raise ValueError("sex must be M, F, 男 or 女")
        return _SEX[value.upper()]

    @field_validator("birth_date")
    @classmethod
    def _birth_possible(cls, value: date | None) -> date | None:
        if value is not None and not date(1880, 1, 1) <= value <= date.today():
            raise ValueError("birth_date must lie between 1880 and today")
        return value

    @model_validator(mode="after")
    def _identifies_someone(self) -> LinkageRecordIn:
        if self.name is None and self.id_number is None:
            raise ValueError("a record needs at least a name or an ID number")
        known = [self.name, self.id_number, self.phone, self.birth_date]
        if sum(value is not None for value in known) < 2:
            raise ValueError("a record needs at least two of name, ID number, phone, birth date")
        return self


class RecordOut(BaseModel):
    """A stored record with masked name and its linkage state."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    source_id: int | None
    source_ref: str
    name_masked: str
    birth_year: int | None
    sex: str | None
    status: str
    resident_id: int | None
    linked_by: str | None
    linked_at: datetime | None


class UploadOut(BaseModel):
    """What an upload stored."""

    stored: int
    record_ids: list[int]


class RunOut(BaseModel):
    """What a linkage run did."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    records: int
    candidates: int
    candidate_pairs: int
    auto_linked: int
    queued_for_review: int
    unmatched: int
    seconds: float = 0.0


class WeightOut(BaseModel):
    """One bar of the waterfall: a comparison, the level it fell in, its match weight."""

    comparison: str
    level: str
    weight: float


class PersonView(BaseModel):
    """Decrypted compared fields of one side of a pair, for the reviewer."""

    name: str | None
    id_number: str | None
    birth_date: str | None
    phone: str | None
    sex: str | None


class PairOut(BaseModel):
    """A candidate pair in the review queue, with the numbers behind its score."""

    id: int
    record_id: int
    resident_id: int
    source: str
    source_ref: str
    state: str
    match_weight: float
    match_probability: float
    prior_weight: float
    weights: list[WeightOut]
    record: PersonView | None = None
    resident: PersonView | None = None


class DecisionIn(BaseModel):
    """A reviewer's decision on a pair."""

    decision: Literal["accept", "reject"]

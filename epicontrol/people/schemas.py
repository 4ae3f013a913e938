"""Resident shapes accepted and returned by the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ResidentOut(BaseModel):
    """A resident without identity fields: what any permitted reader sees."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    division_id: int
    household_id: int | None
    name_masked: str
    sex: str
    birth_year: int
    occupation: str


class ResidentIdentityOut(BaseModel):
    """Decrypted identity of a resident, for authorised roles only (each read audited)."""

    id: int
    id_number: str
    name: str
    phone: str | None


class ResidentIn(BaseModel):
    """A resident registered one at a time by a community officer."""

    id_number: str = Field(min_length=1, max_length=32, description="18-character resident ID")
    name: str = Field(min_length=1, max_length=40)
    phone: str | None = Field(default=None, max_length=20)
    division_code: str = Field(min_length=1, max_length=32, description="code of the grid")
    household_id: int | None = None
    occupation: str = Field(default="", max_length=60)

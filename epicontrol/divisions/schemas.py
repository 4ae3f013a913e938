"""Division shapes returned by the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DivisionOut(BaseModel):
    """A division as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_pinyin: str
    level: str
    parent_id: int | None
    latitude: float | None
    longitude: float | None

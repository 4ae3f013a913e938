"""Place shapes returned by the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PlaceOut(BaseModel):
    """A place; places are not personal data."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    division_id: int
    estate_id: int | None
    address: str
    latitude: float | None
    longitude: float | None

"""Imports every table so that Base.metadata is complete (Alembic and tests read it)."""

from epicontrol.core.models import AuditEntry, ImportRecord, User
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import Place

__all__ = [
    "AuditEntry",
    "Division",
    "Household",
    "HousingEstate",
    "ImportRecord",
    "Place",
    "Resident",
    "User",
]

"""Imports every table so that Base.metadata is complete (Alembic and tests read it)."""

from epicontrol.core.models import AuditEntry, ImportRecord, User
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.health_code.models import PersonalPass
from epicontrol.movements.models import Movement, RiskArea, TemperatureAlert
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import CheckpointDevice, Place

__all__ = [
    "AuditEntry",
    "CheckpointDevice",
    "Division",
    "Household",
    "HousingEstate",
    "ImportRecord",
    "Movement",
    "PersonalPass",
    "Place",
    "Resident",
    "RiskArea",
    "TemperatureAlert",
    "User",
]

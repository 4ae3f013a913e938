"""Imports every table so that Base.metadata is complete (Alembic and tests read it)."""

import epicontrol.approvals.models  # noqa: F401
import epicontrol.cases.linkage.models  # noqa: F401  (tables of the domains below, when they have any)
import epicontrol.core.audit_chain_models  # noqa: F401
import epicontrol.divisions.boundary_models  # noqa: F401
import epicontrol.divisions.estate_models  # noqa: F401
import epicontrol.enterprises.models  # noqa: F401
import epicontrol.exchange.models  # noqa: F401
import epicontrol.health_code.triggers  # noqa: F401  (keeps risk statuses current on commit)
import epicontrol.labour.models  # noqa: F401
import epicontrol.market.models  # noqa: F401
import epicontrol.portal.article_models  # noqa: F401
import epicontrol.portal.consultation_models  # noqa: F401
import epicontrol.portal.feed_models  # noqa: F401
import epicontrol.portal.itinerary_models  # noqa: F401
import epicontrol.reports.models  # noqa: F401
import epicontrol.reports.monitoring_models  # noqa: F401
import epicontrol.supplies.models  # noqa: F401
import epicontrol.tasks.models  # noqa: F401
import epicontrol.tasks.survey_models  # noqa: F401
from epicontrol.cases.models import Case
from epicontrol.core.models import AuditEntry, ImportRecord, User
from epicontrol.divisions.models import Division, HousingEstate
from epicontrol.health_code.models import PersonalPass, RiskAppeal, RiskEvidence, RiskStatus
from epicontrol.movements.models import Movement, RiskArea, TemperatureAlert
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import CheckpointDevice, Place
from epicontrol.tracing.models import Contact, ContactExposure, FollowUp, TracingRun

__all__ = [
    "AuditEntry",
    "Case",
    "CheckpointDevice",
    "Contact",
    "ContactExposure",
    "Division",
    "FollowUp",
    "Household",
    "HousingEstate",
    "ImportRecord",
    "Movement",
    "PersonalPass",
    "Place",
    "Resident",
    "RiskAppeal",
    "RiskArea",
    "RiskEvidence",
    "RiskStatus",
    "TemperatureAlert",
    "TracingRun",
    "User",
]

"""The registry of datasets an agency may be granted: each a query, its fields, its division column.

A field marked `identity` holds an encrypted personal identifier (ID number, name, phone,
address): the query reads its ciphertext only when the grant names the field, and the export
decrypts it row by row. Every other field is selected as is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from epicontrol.cases.models import Case
from epicontrol.core.errors import InvalidInput, NotFound
from epicontrol.divisions.models import Division
from epicontrol.movements import presence_queries
from epicontrol.people.models import Household, Resident
from epicontrol.places.models import Place
from epicontrol.tracing.models import Contact

# Arrow type of each field kind; the CSV writes them as text.
KINDS = ("string", "int", "timestamp", "date", "bool")
# A source's hidden column naming whose records a row is (see Dataset.subject); never exported.
SUBJECT = "_subject"


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a dataset as agencies see it."""

    name: str
    kind: str
    description: str
    identity: bool = False


@dataclass(frozen=True, slots=True)
class Dataset:
    """A named query with its declared fields; `columns` maps a field to its SQL expression."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    division_field: str
    is_personal: bool
    # How the audit trail names the people an export is about, so that their access log shows
    # it: (entity, action) for the SUBJECT column's ids, e.g. ("resident", "exchange:export").
    subject: tuple[str, str] | None
    # (scope division, day) -> (FROM/WHERE/ORDER part without columns, the column of each field)
    source: Callable[[Division, date], tuple[Select[Any], dict[str, ColumnElement[Any]]]] | None

    @property
    def field_names(self) -> list[str]:
        """Field names in declaration order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        """The field called `name`; InvalidInput if the dataset has none."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise InvalidInput(
            f"dataset '{self.name}' has no field '{name}'; its fields: "
            + ", ".join(self.field_names)
        )

    @property
    def is_exportable(self) -> bool:
        """False for a dataset used only to match lists against."""
        return self.source is not None


def _in_subtree(division: Division) -> ColumnElement[bool]:
    return Division.path.startswith(division.path, autoescape=True)


def _arrivals(division: Division, day: date) -> tuple[Select[Any], dict[str, Any]]:
    arrived = presence_queries.arrivals_subquery(division, day)
    a = arrived.c
    place_division = aliased(Division, name="place_division")
    columns: dict[str, Any] = {
        "arrived_at": a.at,
        "place_code": Place.code,
        "place_name": Place.name,
        "division_code": place_division.code,
        "origin": a.origin,
        "risk_area": a.risk_area,
        "name_masked": Resident.name_masked,
        "sex": Resident.sex,
        "birth_year": Resident.birth_year,
        "id_number": Resident.id_number_enc,
        "name": Resident.name_enc,
        "phone": Resident.phone_enc,
        SUBJECT: a.resident_id,
    }
    base = (
        select()
        .select_from(arrived)
        .join(Place, Place.id == a.place_id)
        .join(place_division, place_division.id == Place.division_id)
        .outerjoin(Resident, Resident.id == a.resident_id)
        .where(a.risk_area.isnot(None))
        .order_by(a.at, a.id)
    )
    return base, columns


def _contacts(division: Division, day: date) -> tuple[Select[Any], dict[str, Any]]:
    columns: dict[str, Any] = {
        "degree": Contact.degree,
        "rule": Contact.rule,
        "last_exposure_at": Contact.last_exposure_at,
        "observation_ends_on": Contact.observation_ends_on,
        "is_quarantined": Contact.quarantined_at.isnot(None),
        "division_code": Division.code,
        "division_name": Division.name,
        "name_masked": Resident.name_masked,
        "sex": Resident.sex,
        "birth_year": Resident.birth_year,
        "id_number": Resident.id_number_enc,
        "name": Resident.name_enc,
        "phone": Resident.phone_enc,
        "address": Household.address_enc,
        SUBJECT: Contact.case_id,
    }
    base = (
        select()
        .select_from(Contact)
        .join(Division, Division.id == Contact.division_id)
        .join(Resident, Resident.id == Contact.contact_resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .where(
            _in_subtree(division),
            Contact.withdrawn_at.is_(None),
            Contact.observation_ends_on >= day,
        )
        .order_by(Contact.id)
    )
    return base, columns


def _case_counts(division: Division, day: date) -> tuple[Select[Any], dict[str, Any]]:
    columns: dict[str, Any] = {
        "division_code": Division.code,
        "division_name": Division.name,
        "status": Case.status,
        "cases": func.count(Case.id),
    }
    base = (
        select()
        .select_from(Case)
        .join(Division, Division.id == Case.division_id)
        .where(_in_subtree(division), Case.report_date <= day)
        .group_by(Division.code, Division.name, Case.status)
        .order_by(Division.code, Case.status)
    )
    return base, columns


_PERSON = (
    Field("name_masked", "string", "name with all but the family name starred"),
    Field("sex", "string", "M or F"),
    Field("birth_year", "int", "year of birth"),
    Field("id_number", "string", "national ID number (decrypted)", identity=True),
    Field("name", "string", "full name (decrypted)", identity=True),
    Field("phone", "string", "mobile number (decrypted)", identity=True),
)

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="arrivals_risk",
            title="今日来自风险地区的到达者 Arrivals from risk areas",
            description="People who arrived on the day (local) and came from a risk area.",
            fields=(
                Field("arrived_at", "timestamp", "first entry of the day, UTC"),
                Field("place_code", "string", "checkpoint or station code"),
                Field("place_name", "string", "checkpoint or station name"),
                Field("division_code", "string", "division of the place"),
                Field("origin", "string", "declared origin"),
                Field("risk_area", "string", "the risk area the arrival came from"),
                *_PERSON,
            ),
            division_field="division_code",
            is_personal=True,
            subject=("resident", "exchange:export"),
            source=_arrivals,
        ),
        Dataset(
            name="contacts_to_locate",
            title="待查找的密接 Contacts to locate",
            description="Close and secondary contacts whose observation runs on the day.",
            fields=(
                Field("degree", "int", "1 close contact (密接), 2 secondary (次密接)"),
                Field("rule", "string", "the exposure rule that found them"),
                Field("last_exposure_at", "timestamp", "last exposure, UTC"),
                Field("observation_ends_on", "date", "last day of observation"),
                Field("is_quarantined", "bool", "already under quarantine"),
                Field("division_code", "string", "the contact's grid"),
                Field("division_name", "string", "the contact's grid name"),
                *_PERSON,
                Field("address", "string", "household address (decrypted)", identity=True),
            ),
            division_field="division_code",
            is_personal=True,
            # The convention of core/audit.py's access log: a contacts export names its case,
            # and every contact of that case sees it.
            subject=("contact", "export"),
            source=_contacts,
        ),
        Dataset(
            name="case_counts",
            title="各区划病例数 Case counts by division",
            description="Cases reported up to the day, by division and status: no personal data.",
            fields=(
                Field("division_code", "string", "division of the case"),
                Field("division_name", "string", "division name"),
                Field("status", "string", "suspected, confirmed, asymptomatic, ..."),
                Field("cases", "int", "number of cases"),
            ),
            division_field="division_code",
            is_personal=False,
            subject=None,
            source=_case_counts,
        ),
        Dataset(
            name="watch_list",
            title="名单比对 List matching against residents under watch",
            description=(
                "Not exported: an uploaded list is matched against residents under watch "
                "(red or yellow status, or contacts under observation)."
            ),
            fields=(
                Field("under_watch", "bool", "the row matches a resident under watch"),
                Field("colour", "string", "the resident's status colour (red or yellow)"),
            ),
            division_field="",
            is_personal=True,
            subject=None,
            source=None,
        ),
    )
}


def get(name: str) -> Dataset:
    """The dataset called `name`, or NotFound."""
    dataset = REGISTRY.get(name)
    if dataset is None:
        raise NotFound(f"no dataset '{name}'; datasets: " + ", ".join(sorted(REGISTRY)))
    return dataset


def query(dataset: Dataset, division: Division, day: date, fields: list[str]) -> Select[Any]:
    """The SELECT of `fields` (identity fields as ciphertext) for one scope division and day."""
    assert dataset.source is not None, "a match-only dataset has no query"
    base, columns = dataset.source(division, day)
    return base.add_columns(*(columns[name].label(name) for name in fields))


def subjects(dataset: Dataset, division: Division, day: date) -> Select[Any] | None:
    """The distinct ids of the people (or cases) an export of one scope division is about."""
    if dataset.source is None or dataset.subject is None:
        return None
    base, columns = dataset.source(division, day)
    subject = columns[SUBJECT]
    return base.add_columns(subject).where(subject.isnot(None)).distinct().order_by(None)

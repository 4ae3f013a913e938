"""The definition of an approval item (form fields, attachments, review steps, delivery) as
the catalogue editor, the JSON import and the stored versions share it."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from epicontrol.approvals.models import Delivery
from epicontrol.divisions.models import DivisionLevel

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# What an attachment may be: the types attachments.sniff() recognises from the bytes.
ACCEPTED_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Names the application form itself uses beside an item's fields.
RESERVED_NAMES = frozenset({"delivery", "courier_address", "row_version", "csrf_token"})


class FieldKind(StrEnum):
    """What a form field holds; each kind is validated by forms.py."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    ID_NUMBER = "id_number"  # a resident ID (GB 11643, check digit); stored encrypted


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Strict):
    value: str = Field(min_length=1, max_length=40)
    label_zh: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)


class FormField(Strict):
    """One field of the application form."""

    name: str = Field(pattern=NAME.pattern)
    label_zh: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)
    kind: FieldKind
    required: bool = True
    max_length: int = Field(default=200, ge=1, le=2000)  # text
    minimum: float | None = None  # number
    maximum: float | None = None  # number
    options: tuple[Option, ...] = ()  # choice

    @model_validator(mode="after")
    def _choices_have_options(self) -> Self:
        if self.name in RESERVED_NAMES:
            raise ValueError(f"{self.name!r} is reserved by the application form")
        if self.kind == FieldKind.CHOICE and not self.options:
            raise ValueError(f"choice field {self.name!r} needs options")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"field {self.name!r}: minimum above maximum")
        return self


class AttachmentRule(Strict):
    """A document the applicant must (or may) upload."""

    name: str = Field(pattern=NAME.pattern)
    label_zh: str = Field(min_length=1, max_length=100)
    label_en: str = Field(min_length=1, max_length=100)
    types: tuple[str, ...] = ACCEPTED_TYPES
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1, le=MAX_ATTACHMENT_BYTES)
    required: bool = True

    @model_validator(mode="after")
    def _known_types(self) -> Self:
        unknown = set(self.types) - set(ACCEPTED_TYPES)
        if unknown or not self.types:
            raise ValueError(f"attachment {self.name!r}: types must be among {ACCEPTED_TYPES}")
        return self


class ReviewStep(Strict):
    """One review step, held by the reviewers of the applicant's division at `level`."""

    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    level: DivisionLevel


class ItemDefinition(Strict):
    """What an application of this item needs and how it is reviewed and delivered."""

    fields: tuple[FormField, ...] = Field(min_length=1, max_length=60)
    attachments: tuple[AttachmentRule, ...] = Field(default=(), max_length=20)
    steps: tuple[ReviewStep, ...] = Field(min_length=1, max_length=8)
    delivery: tuple[Delivery, ...] = Field(default=(Delivery.ELECTRONIC,), min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        for kind, names in (
            ("field", [f.name for f in self.fields]),
            ("attachment", [a.name for a in self.attachments]),
        ):
            if len(set(names)) != len(names):
                raise ValueError(f"two {kind}s share a name")
        return self


class ItemIn(Strict):
    """An item as the import file and the catalogue editor give it."""

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    time_limit_days: int = Field(ge=1, le=365)
    definition: ItemDefinition

"""What the market API and forms take and give."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from epicontrol.market.models import (
    CaseStatus,
    ComplaintKind,
    Outcome,
    Product,
    ReportKind,
    SellerKind,
)

Yuan = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=8, decimal_places=2)]
Note = Annotated[str, Field(max_length=2000)]


class ReportIn(BaseModel):
    """A price report or complaint: an existing seller by id, or one named (found or created)."""

    model_config = ConfigDict(extra="forbid")

    kind: ReportKind
    seller_id: int | None = None
    seller_name: Annotated[str, Field(max_length=160)] = ""
    seller_kind: SellerKind = SellerKind.PHARMACY
    division_id: int | None = None
    address: Annotated[str, Field(max_length=300)] = ""
    licence_number: Annotated[str, Field(max_length=30)] = ""
    product: Product | None = None
    pack_size: Annotated[int, Field(ge=1, le=1000)] | None = None
    price_yuan: Yuan | None = None
    complaint_kind: ComplaintKind | None = None
    text: Note = ""
    observed_on: date

    @model_validator(mode="after")
    def _complete(self) -> ReportIn:
        if self.seller_id is None and not (self.seller_name.strip() and self.division_id):
            raise ValueError("choose a seller, or give the seller's name and division")
        if self.kind == ReportKind.PRICE and (
            self.product is None or self.pack_size is None or self.price_yuan is None
        ):
            raise ValueError("a price report needs the product, the pack size and the price")
        if self.kind == ReportKind.COMPLAINT and self.complaint_kind is None:
            raise ValueError("a complaint needs its kind")
        return self


class CaseOutcomeOut(BaseModel):
    """A case's state as its reporters see it."""

    case_id: int
    status: CaseStatus
    outcome: Outcome | None
    closed_at: datetime | None


class MyReportOut(BaseModel):
    """One of the caller's reports, with the outcome of the case about it."""

    id: int
    kind: ReportKind
    seller_name: str
    product: Product | None
    pack_size: int | None
    price_yuan: Decimal | None
    complaint_kind: ComplaintKind | None
    text: str
    observed_on: date
    has_photo: bool
    case: CaseOutcomeOut | None
    is_new_outcome: bool


class FlagOut(BaseModel):
    """A flagged seller: which rule, for which product, and the reports that caused it."""

    seller_id: int
    seller_name: str
    division_name: str
    rule: str  # "price" or "complaints"
    product: Product | None
    detail: str
    report_ids: list[int]
    open_case_id: int | None


class CaseOpenIn(BaseModel):
    """Open a case about a seller: from a flag (its reports) or from one report."""

    model_config = ConfigDict(extra="forbid")

    seller_id: int
    source: Annotated[str, Field(pattern="^(price_flag|complaint_flag|report)$")]
    report_ids: Annotated[list[int], Field(min_length=1, max_length=500)]


class AssignIn(BaseModel):
    """Assign a case; `version` is the version the inspector saw."""

    version: int
    assignee_user_id: int


class InspectIn(BaseModel):
    """Record an inspection."""

    version: int
    inspected_on: date
    findings: Annotated[str, Field(min_length=1, max_length=4000)]
    samples: Annotated[str, Field(max_length=2000)] = ""


class CloseIn(BaseModel):
    """Close a case with its outcome (a fine needs its amount)."""

    version: int
    outcome: Outcome
    fine_yuan: Yuan | None = None

    @model_validator(mode="after")
    def _fine(self) -> CloseIn:
        if self.outcome == Outcome.FINE and self.fine_yuan is None:
            raise ValueError("a fine needs its amount")
        return self


class CaseOut(BaseModel):
    """A case for inspectors."""

    id: int
    seller_id: int
    seller_name: str
    source: str
    status: CaseStatus
    version: int
    assignee: str | None
    inspected_on: date | None
    findings: str
    samples: str
    outcome: Outcome | None
    fine_yuan: Decimal | None
    opened_at: datetime
    closed_at: datetime | None
    report_ids: list[int]


class ReferencePriceIn(BaseModel):
    """A price ceiling per piece for a product in a division's subtree."""

    model_config = ConfigDict(extra="forbid")

    product: Product
    division_id: int
    max_unit_yuan: Yuan
    valid_from: date
    valid_to: date | None = None
    source: Annotated[str, Field(max_length=300)] = ""

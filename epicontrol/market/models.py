"""Tables of mask market monitoring (口罩市场监管): sellers, reports, reference prices, cases.

A case's `version` is its compare-and-set counter: every transition is one UPDATE that names the
version the inspector saw, so of two inspectors acting at once one wins and the other gets 409.
`open_seller_id` is the seller's id while the case is not closed and NULL after: its unique
constraint keeps one open case per seller on SQLite and PostgreSQL alike (NULLs never clash).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class SellerKind(StrEnum):
    """Where masks were sold."""

    PHARMACY = "pharmacy"
    SUPERMARKET = "supermarket"
    ONLINE_SHOP = "online_shop"
    STREET_STALL = "street_stall"


class Product(StrEnum):
    """Mask products residents report prices for (the names on the 2020 price notices)."""

    N95 = "n95"
    KN95 = "kn95"
    SURGICAL = "surgical"  # 医用外科口罩 medical surgical mask (YY 0469)
    DISPOSABLE = "disposable"  # 一次性使用医用口罩 disposable medical mask (YY/T 0969)


class ReportKind(StrEnum):
    """A price report or a complaint."""

    PRICE = "price"
    COMPLAINT = "complaint"


class ComplaintKind(StrEnum):
    """What a complaint is about."""

    COUNTERFEIT = "counterfeit"  # fake brand or fake certification
    SUBSTANDARD = "substandard"  # poor quality (filtration, loops, smell)
    HOARDING = "hoarding"  # 囤积 stock held back
    REFUSAL_TO_SELL = "refusal_to_sell"
    FALSE_ADVERTISING = "false_advertising"


class CaseStatus(StrEnum):
    """Where an inspection case stands."""

    OPEN = "open"
    ASSIGNED = "assigned"
    INSPECTED = "inspected"
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a case ended."""

    WARNING = "warning"
    FINE = "fine"
    LICENCE_SUSPENDED = "licence_suspended"
    REFERRED_TO_POLICE = "referred_to_police"
    UNFOUNDED = "unfounded"


class MarketSeller(Base):
    """A pharmacy, supermarket, online shop or street stall selling masks."""

    __tablename__ = "market_sellers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16))
    # 统一社会信用代码 (unified social credit code), checked when given (rules.py).
    licence_number: Mapped[str | None] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(300), default="")
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    # Set when an inspector merged this duplicate into another seller; hidden from then on.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("market_sellers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MarketReport(Base):
    """A price report or complaint about a seller, by a resident or an inspector."""

    __tablename__ = "market_reports"
    __table_args__ = (
        CheckConstraint(
            "kind <> 'price' OR (product IS NOT NULL AND pack_size > 0 AND price_fen > 0)",
            name="price_complete",
        ),
        CheckConstraint("kind <> 'complaint' OR complaint_kind IS NOT NULL", name="complaint_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("market_sellers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Who reported: kept for their own list and outcome, never shown on a seller's pages;
    # anonymised after the retention window (core/retention.py).
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    by_inspector: Mapped[bool] = mapped_column(default=False)
    product: Mapped[str | None] = mapped_column(String(16))
    pack_size: Mapped[int | None] = mapped_column(Integer)
    price_fen: Mapped[int | None] = mapped_column(Integer)  # the pack's price in fen (0.01 yuan)
    complaint_kind: Mapped[str | None] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
    observed_on: Mapped[date] = mapped_column(Date, index=True)
    photo_file: Mapped[str | None] = mapped_column(String(80))  # name under data_dir/market_photos
    photo_type: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the reporter last saw the outcome of the case about this report (their notice).
    outcome_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReferencePrice(Base):
    """A price ceiling per piece for a product in a division's subtree, set by inspectors
    (e.g. the government guidance prices of early 2020); the deepest division's applies."""

    __tablename__ = "market_reference_prices"
    __table_args__ = (CheckConstraint("max_unit_fen > 0", name="positive_ceiling"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(16))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    max_unit_fen: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MarketCase(Base):
    """An inspection case about one seller: opened from a flag or a report, then assigned,
    inspected and closed with an outcome."""

    __tablename__ = "market_cases"
    __table_args__ = (
        UniqueConstraint("open_seller_id", name="uq_market_cases_open_seller"),
        CheckConstraint("outcome <> 'fine' OR fine_fen > 0", name="fine_has_amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("market_sellers.id"), index=True)
    open_seller_id: Mapped[int | None] = mapped_column(ForeignKey("market_sellers.id"))
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id"), index=True)
    source: Mapped[str] = mapped_column(String(24))  # price_flag, complaint_flag or report
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspected_on: Mapped[date | None] = mapped_column(Date)
    findings: Mapped[str] = mapped_column(Text, default="")
    samples: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(24))
    fine_fen: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class MarketCaseReport(Base):
    """A report a case is about (its evidence); reporters see the case's outcome through it."""

    __tablename__ = "market_case_reports"

    case_id: Mapped[int] = mapped_column(ForeignKey("market_cases.id"), primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("market_reports.id"), primary_key=True, index=True
    )

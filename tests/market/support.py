"""Mask market test data: sellers, reports and principals of the test city."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.deps import load_principal
from epicontrol.core.models import User
from epicontrol.market.models import (
    ComplaintKind,
    MarketReport,
    MarketSeller,
    Product,
    ReportKind,
    SellerKind,
)
from epicontrol.market.rules import FlagRules
from tests.factories import City

TODAY = date(2020, 2, 10)
RULES = FlagRules(
    price_factor=1.5,
    price_window_days=14,
    min_reports_for_median=3,
    complaint_threshold=3,
    complaint_window_days=7,
)


def principal(db: Session, username: str) -> Principal:
    """The principal of a test user, as a request would load it."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    found = load_principal(db, user_id)
    assert found is not None
    return found


def user_id(db: Session, username: str) -> int:
    """A test user's id."""
    found = db.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


def add_seller(
    db: Session, city: City, name: str, division: str = "m1", kind: SellerKind = SellerKind.PHARMACY
) -> int:
    """A seller in a division of the test city (committed)."""
    seller = MarketSeller(name=name, kind=kind.value, division_id=city.divisions[division])
    db.add(seller)
    db.commit()
    return seller.id


def add_price(
    db: Session,
    seller_id: int,
    unit_yuan: str,
    *,
    product: Product = Product.SURGICAL,
    days_ago: int = 0,
    pack: int = 10,
    reporter: int | None = None,
) -> int:
    """A price report of `pack` pieces at `unit_yuan` each, seen `days_ago` before TODAY."""
    report = MarketReport(
        seller_id=seller_id,
        kind=ReportKind.PRICE.value,
        product=product.value,
        pack_size=pack,
        price_fen=int(Decimal(unit_yuan) * 100 * pack),
        observed_on=TODAY - timedelta(days=days_ago),
        reporter_user_id=reporter,
        text="",
    )
    db.add(report)
    db.commit()
    return report.id


def add_complaint(
    db: Session,
    seller_id: int,
    reporter: int | None,
    *,
    kind: ComplaintKind = ComplaintKind.SUBSTANDARD,
    days_ago: int = 0,
) -> int:
    """A complaint about a seller, seen `days_ago` before TODAY."""
    report = MarketReport(
        seller_id=seller_id,
        kind=ReportKind.COMPLAINT.value,
        complaint_kind=kind.value,
        observed_on=TODAY - timedelta(days=days_ago),
        reporter_user_id=reporter,
        text="loops tear",
    )
    db.add(report)
    db.commit()
    return report.id


def market_prices(db: Session, city: City, units: list[str], division: str = "m1") -> list[int]:
    """One seller per price, each with one surgical-mask report: a market to compare with."""
    return [
        add_price(db, add_seller(db, city, f"参照药房{i}", division), unit)
        for i, unit in enumerate(units)
    ]

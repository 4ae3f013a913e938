"""Demo data for mask market monitoring, in the demo resident's street.

A dozen sellers with a month of price reports at ordinary prices, one seller gouging on KN95
and surgical masks over the last days (a price flag), one with repeated quality complaints
(a complaint flag), a likely duplicate to merge, a ceiling for disposable masks, and an older
case closed with a warning that the demo resident reported (their "my reports" shows it).
Deterministic (seed 2020); a store that already has sellers is left alone.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division
from epicontrol.market.models import (
    CaseStatus,
    ComplaintKind,
    MarketCase,
    MarketCaseReport,
    MarketReport,
    MarketSeller,
    Outcome,
    Product,
    ReferencePrice,
    ReportKind,
    SellerKind,
)

# Ordinary unit prices in yuan (low, high) in February 2020, by product: our own rough figures.
USUAL_PRICE = {
    Product.DISPOSABLE: (0.8, 1.5),
    Product.SURGICAL: (1.5, 2.5),
    Product.KN95: (6.0, 10.0),
    Product.N95: (12.0, 20.0),
}
PACKS = {Product.DISPOSABLE: 10, Product.SURGICAL: 10, Product.KN95: 5, Product.N95: 1}
SELLERS = (
    ("老百姓大药房", SellerKind.PHARMACY),
    ("老百姓大药房（东门店）", SellerKind.PHARMACY),  # a likely duplicate of the one above
    ("海王星辰药店", SellerKind.PHARMACY),
    ("九州大药房", SellerKind.PHARMACY),
    ("华东医药便民药房", SellerKind.PHARMACY),
    ("联华超市", SellerKind.SUPERMARKET),
    ("物美超市", SellerKind.SUPERMARKET),
    ("世纪联华生活超市", SellerKind.SUPERMARKET),
    ("口罩优选网店", SellerKind.ONLINE_SHOP),
    ("惠民药品网店", SellerKind.ONLINE_SHOP),
    ("路口流动摊点", SellerKind.STREET_STALL),
    ("夜市口罩摊", SellerKind.STREET_STALL),
)
GOUGER = "路口流动摊点"
COMPLAINED = "口罩优选网店"
WARNED = "联华超市"
DAYS = 30


def seed_demo(db: Session, *, seed: int = 2020, now: datetime | None = None) -> None:
    """Store the demo's sellers, reports, ceiling and closed case (the caller commits)."""
    if db.scalar(select(func.count()).select_from(MarketSeller)):
        return
    home = _demo_home(db)
    inspector = db.scalar(select(User.id).where(User.role == Role.MARKET_INSPECTOR.value))
    if home is None or inspector is None:
        return
    resident_user, communities, street = home
    chooser = random.Random(seed)
    today = (now or utcnow()).astimezone(LOCAL_TIME).date()
    sellers: dict[str, MarketSeller] = {}
    for index, (name, kind) in enumerate(SELLERS):
        division = (
            communities[index % len(communities)] if kind != SellerKind.ONLINE_SHOP else street
        )
        if name == "老百姓大药房（东门店）":
            division = sellers["老百姓大药房"].division_id
        seller = MarketSeller(name=name, kind=kind.value, division_id=division, address="")
        db.add(seller)
        db.flush()
        sellers[name] = seller
    for name, seller in sellers.items():
        if name != GOUGER:
            _ordinary_prices(db, seller.id, today, chooser)
    _gouging(db, sellers[GOUGER].id, today, chooser, resident_user)
    _complaints(db, sellers[COMPLAINED].id, today, resident_user)
    _warned_case(db, sellers[WARNED].id, today, resident_user, inspector)
    db.add(
        ReferencePrice(
            product=Product.DISPOSABLE.value,
            division_id=street,
            max_unit_fen=150,
            valid_from=today - timedelta(days=DAYS),
            source="示例限价 demo ceiling (an illustration, not a 2020 guidance figure)",
            set_by=inspector,
        )
    )
    db.flush()


def _demo_home(db: Session) -> tuple[int, list[int], int] | None:
    """The demo resident's user id, their street's communities and the street."""
    found = db.execute(
        select(User.id, Division.path)
        .join(Division, Division.id == User.division_id)
        .where(User.role == Role.RESIDENT.value)
        .order_by(User.id)
        .limit(1)
    ).first()
    if found is None:
        return None
    user_id, path = found
    ids = [int(part) for part in path.strip("/").split("/")]
    levels = dict(db.execute(select(Division.id, Division.level).where(Division.id.in_(ids))).all())
    street = next((i for i in reversed(ids) if levels.get(i) == "street"), None)
    if street is None:
        return None
    communities = list(
        db.scalars(
            select(Division.id)
            .where(Division.parent_id == street, Division.level == "community")
            .order_by(Division.code)
            .limit(4)
        )
    )
    return user_id, communities or [street], street


def _price(
    seller: int,
    product: Product,
    unit: float,
    day: date,
    reporter: int | None = None,
    text: str = "",
) -> MarketReport:
    pack = PACKS[product]
    return MarketReport(
        seller_id=seller,
        kind=ReportKind.PRICE.value,
        product=product.value,
        pack_size=pack,
        price_fen=round(unit * pack * 100),
        observed_on=day,
        reporter_user_id=reporter,
        by_inspector=False,
        text=text,
    )


def _ordinary_prices(db: Session, seller: int, today: date, chooser: random.Random) -> None:
    for days_ago in range(DAYS - 1, -1, -3):
        product = chooser.choice(list(Product))
        low, high = USUAL_PRICE[product]
        unit = round(chooser.uniform(low, high), 1)
        db.add(_price(seller, product, unit, today - timedelta(days=days_ago)))


def _gouging(
    db: Session, seller: int, today: date, chooser: random.Random, resident_user: int
) -> None:
    """Ordinary until five days ago, then KN95 at about four times the usual price."""
    for days_ago in range(DAYS - 1, 5, -4):
        db.add(_price(seller, Product.KN95, 8.0, today - timedelta(days=days_ago)))
    for days_ago in (4, 2, 1):
        unit = round(chooser.uniform(32, 40), 0)
        db.add(_price(seller, Product.KN95, unit, today - timedelta(days=days_ago)))
    db.add(_price(seller, Product.KN95, 38.0, today, resident_user, "KN95 每只38元，不开发票"))


def _complaints(db: Session, seller: int, today: date, resident_user: int) -> None:
    """Four quality complaints in five days (three from residents without a login here)."""
    texts = ("耳带一拉就断", "没有生产许可证号", "疑似假冒3M", "闻起来有刺鼻气味")
    kinds = (ComplaintKind.SUBSTANDARD, ComplaintKind.COUNTERFEIT) * 2
    for days_ago, (text, kind) in enumerate(zip(texts, kinds, strict=True)):
        db.add(
            MarketReport(
                seller_id=seller,
                kind=ReportKind.COMPLAINT.value,
                complaint_kind=kind.value,
                observed_on=today - timedelta(days=days_ago + 1),
                reporter_user_id=resident_user if days_ago == 0 else None,
                by_inspector=False,
                text=text,
            )
        )


def _warned_case(db: Session, seller: int, today: date, resident_user: int, inspector: int) -> None:
    """An older report of the demo resident, inspected and closed with a warning."""
    report = MarketReport(
        seller_id=seller,
        kind=ReportKind.COMPLAINT.value,
        complaint_kind=ComplaintKind.REFUSAL_TO_SELL.value,
        observed_on=today - timedelta(days=20),
        reporter_user_id=resident_user,
        by_inspector=False,
        text="有货但说只卖给会员",
    )
    db.add(report)
    db.flush()
    opened = datetime.combine(today - timedelta(days=19), datetime.min.time(), LOCAL_TIME)
    case = MarketCase(
        seller_id=seller,
        open_seller_id=None,
        division_id=db.get(MarketSeller, seller).division_id,  # type: ignore[union-attr]
        source="report",
        status=CaseStatus.CLOSED.value,
        version=4,
        opened_by=inspector,
        opened_at=opened,
        assignee_user_id=inspector,
        inspected_on=today - timedelta(days=18),
        findings="店员限制非会员购买，已当场纠正",
        samples="",
        outcome=Outcome.WARNING.value,
        closed_at=opened + timedelta(days=2),
        closed_by=inspector,
    )
    db.add(case)
    db.flush()
    db.add(MarketCaseReport(case_id=case.id, report_id=report.id))

"""The market demo gives the board one gouging seller, one with repeated quality complaints, and
the demo resident a report with an outcome."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.core.settings import Settings
from epicontrol.market import demo, flags, reports
from epicontrol.market.models import MarketSeller
from epicontrol.market.rules import FlagRules
from tests.factories import TEST_SECRET, City
from tests.market.support import principal


def test_demo_flags_the_gouger_and_the_complained_seller_only(db: Session, city: City) -> None:
    demo.seed_demo(db)
    demo.seed_demo(db)  # a second run adds nothing
    db.commit()
    today = utcnow().astimezone(LOCAL_TIME).date()
    rules = FlagRules.from_settings(Settings(secret_key=TEST_SECRET))

    found = flags.compute(db, rules=rules, today=today)

    names = dict(db.execute(select(MarketSeller.id, MarketSeller.name)).all())
    assert {(names[f.seller_id], f.rule, f.product) for f in found} == {
        (demo.GOUGER, "price", "kn95"),
        (demo.COMPLAINED, "complaints", None),
    }
    assert db.scalar(select(func.count()).select_from(MarketSeller)) == len(demo.SELLERS)
    mine = reports.mine(db, principal=principal(db, "resident_wang"), now=utcnow())
    assert any(r.case and r.case.outcome == "warning" for r in mine)

"""The exchange's demo data: grants in every state, statistics to chart, idempotent."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.exchange import stats
from epicontrol.exchange.demo import seed_demo
from epicontrol.exchange.models import Grant
from tests.factories import City


def test_demo_seeds_grants_and_statistics_once(db: Session, city: City) -> None:
    seed_demo(db)
    db.commit()
    seed_demo(db)  # a second run leaves the store alone
    db.commit()
    statuses = Counter(db.scalars(select(Grant.status)))
    assert statuses == {"granted": 3, "refused": 1, "requested": 1}
    lines = stats.summary(db, days=30)
    assert {line.agency for line in lines} == {"public_security", "transport", "rail"}
    assert sum(line.rows for line in lines) > 0

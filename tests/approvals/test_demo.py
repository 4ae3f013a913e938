"""The demo's approvals: the ten-item catalogue and one application at each stage, once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.approvals import catalogue
from epicontrol.approvals.demo import seed_demo
from epicontrol.approvals.models import ApprovalApplication
from tests.factories import TEST_SECRET, City


def test_demo_seeds_the_catalogue_and_an_application_at_each_stage_once(
    db: Session, city: City, tmp_path: Path
) -> None:
    seed_demo(db, secret=TEST_SECRET, data_dir=tmp_path)
    db.commit()
    seed_demo(db, secret=TEST_SECRET, data_dir=tmp_path)
    db.commit()
    assert len(catalogue.entries(db)) == 10
    statuses = Counter(a.status for a in db.scalars(select(ApprovalApplication)))
    assert statuses == {"draft": 1, "in_review": 1, "returned": 1, "approved": 1}
    assert list((tmp_path / "approvals").iterdir())

"""Demo data for non-meeting approvals: the ten-item catalogue (catalogue_demo.json) and a few
applications of the demo resident, one at each stage, so every page has something to show.
A store that already has approval items is left alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.approvals import applications, catalogue, review
from epicontrol.approvals.applications import Filled
from epicontrol.approvals.models import ApprovalItem
from epicontrol.core.crypto import id_check_char, vault_for
from epicontrol.core.db import utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.local_time import local_date
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.core.settings import get_settings

CATALOGUE = Path(__file__).with_name("catalogue_demo.json")
# A made-up Ningxiang (430124) resident ID with a valid check digit.
DEMO_ID = "43012419900307123" + id_check_char("43012419900307123")


def seed_demo(db: Session, *, secret: str, seed: int = 2020, data_dir: Path | None = None) -> None:
    """Store the catalogue and the demo resident's applications (the caller commits); their
    documents go under `data_dir` (the settings' by default)."""
    if db.scalar(select(func.count()).select_from(ApprovalItem)):
        return
    catalogue.import_file(db, CATALOGUE, actor="demo")
    resident = db.scalar(select(User.id).where(User.role == Role.RESIDENT.value).order_by(User.id))
    commander = db.scalar(select(User.id).where(User.role == Role.COMMANDER.value).limit(1))
    if resident is None or commander is None:
        return
    applicant = load_principal(db, resident)
    reviewer = load_principal(db, commander)
    assert applicant is not None and reviewer is not None
    vault = vault_for(secret)
    files = data_dir if data_dir is not None else get_settings().data_dir
    now = utcnow()
    answers = {
        "applicant_name": "王建国", "id_number": DEMO_ID, "start_on": "2020-02-10",
        "scheme": "both", "phone": "13800001111",
    }  # fmt: skip
    stages = ("draft", "in_review", "returned", "approved")
    for stage in stages:
        made = applications.create(
            db, principal=applicant, vault=vault, code="RS-004",
            filled=Filled(answers=answers, delivery="electronic"),
        )  # fmt: skip
        if stage == "draft":
            continue
        applications.attach(
            db, principal=applicant, data_dir=files, secret=secret, application_id=made.id,
            requirement="id_copy", filename="id.pdf", data=b"%PDF-1.4 demo\n",
        )  # fmt: skip
        # Submitted nine days ago: the in-review one is overdue in the queue.
        applications.submit(
            db, principal=applicant, application_id=made.id, expected_version=made.row_version,
            now=now - timedelta(days=9), today=local_date(now) - timedelta(days=9), holidays=(),
        )  # fmt: skip
        if stage == "returned":
            review.decide(
                db, principal=reviewer, application_id=made.id,
                expected_version=made.row_version, action=review.Action.RETURN,
                reason="身份证照片不清晰，请重新上传 The ID photo is unreadable: upload it again",
                now=now,
            )  # fmt: skip
        elif stage == "approved":
            for _step in range(2):
                review.decide(
                    db, principal=reviewer, application_id=made.id,
                    expected_version=made.row_version, action=review.Action.APPROVE, reason="",
                    now=now,
                )  # fmt: skip

"""Helpers of the approval tests: the demo catalogue, callers, an application at a stage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.approvals import applications, catalogue, review
from epicontrol.approvals.applications import Filled
from epicontrol.approvals.demo import CATALOGUE
from epicontrol.approvals.models import ApprovalApplication
from epicontrol.core.auth import Principal, issue_token
from epicontrol.core.crypto import vault_for
from epicontrol.core.deps import load_principal
from epicontrol.core.models import User
from tests.factories import TEST_SECRET, resident_id

VAULT = vault_for(TEST_SECRET)
ID_NUMBER = resident_id("410102", "19700312", 11)  # wang_father's
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# RS-004 (social insurance): community check, then the district bureau; one attachment.
ANSWERS = {
    "applicant_name": "王建国", "id_number": ID_NUMBER, "start_on": "2020-02-10",
    "scheme": "both", "phone": "13800001111",
}  # fmt: skip
ANSWERS_BY_CODE = {
    "RS-004": ANSWERS,
    "GA-005": {
        "applicant_name": "王建国", "id_number": ID_NUMBER, "address": "宁乡市玉潭街道 1 号",
        "since": "2019-06-01", "basis": "work", "phone": "13800001111",
    },
}  # fmt: skip
MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def load_catalogue(db: Session) -> None:
    """The demo's ten items."""
    catalogue.import_file(db, CATALOGUE, actor="test")
    db.commit()


def principal(db: Session, username: str) -> Principal:
    """The principal of a test user, as a request loads it."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    found = load_principal(db, user_id)
    assert found is not None
    return found


def bearer(db: Session, username: str) -> dict[str, str]:
    """Bearer headers (no password hashing) for a test user."""
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, user_id)}"}


def submitted(
    db: Session,
    data_dir: Path,
    *,
    username: str = "resident_wang",
    code: str = "RS-004",
    today: date = MONDAY,
    delivery: str = "electronic",
    address: str = "",
) -> ApprovalApplication:
    """An application filed, with its document, and submitted on `today` (committed)."""
    applicant = principal(db, username)
    made = applications.create(
        db, principal=applicant, vault=VAULT, code=code,
        filled=Filled(answers=ANSWERS_BY_CODE[code], delivery=delivery, address=address),
    )  # fmt: skip
    for rule in catalogue.latest(db, code=code).definition.attachments:
        pdf = "application/pdf" in rule.types
        applications.attach(
            db, principal=applicant, data_dir=data_dir, secret=TEST_SECRET, application_id=made.id,
            requirement=rule.name, filename="doc.pdf" if pdf else "doc.png",
            data=PDF if pdf else PNG,
        )  # fmt: skip
    applications.submit(
        db, principal=applicant, application_id=made.id, expected_version=made.row_version,
        now=NOW, today=today, holidays=(),
    )  # fmt: skip
    db.commit()
    return made


def decide(
    db: Session, application: ApprovalApplication, username: str, action: str, reason: str = ""
) -> ApprovalApplication:
    """One reviewer's decision at the current step (committed)."""
    done = review.decide(
        db, principal=principal(db, username), application_id=application.id,
        expected_version=application.row_version, action=review.Action(action), reason=reason,
        now=NOW,
    )  # fmt: skip
    db.commit()
    return done

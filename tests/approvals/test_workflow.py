"""The review workflow on SQLite and PostgreSQL: steps in order by the divisions that hold
them, return and resubmit, rejection, overdue flags, versions kept, the catalogue import."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.approvals import applications, catalogue, review
from epicontrol.approvals.models import (
    ApprovalApplication,
    ApprovalItemVersion,
    DeliveryStatus,
    Status,
)
from epicontrol.approvals.schemas import ItemIn
from epicontrol.core.errors import AccessDenied, Conflict, InvalidInput
from epicontrol.core.models import AuditEntry
from tests.approvals.support import (
    MONDAY,
    NOW,
    decide,
    load_catalogue,
    principal,
    submitted,
)
from tests.factories import TEST_SECRET, City


@pytest.fixture
def ready(db: Session, city: City) -> City:
    load_catalogue(db)
    return city


def test_steps_go_in_order_each_held_by_its_division(
    ready: City, db: Session, tmp_path: Path
) -> None:
    application = submitted(db, tmp_path)
    m1 = principal(db, "officer_m1")
    assert [r.application.id for r in review.queue(db, principal=m1, today=MONDAY)] == [
        application.id
    ]
    assert review.queue(db, principal=principal(db, "officer_m3"), today=MONDAY) == []
    with pytest.raises(AccessDenied):  # another community's officer
        decide(db, application, "officer_m3", "approve")
    db.rollback()

    decide(db, application, "officer_m1", "approve")  # community check
    assert (application.status, application.current_step) == (Status.IN_REVIEW.value, 1)
    assert review.queue(db, principal=m1, today=MONDAY) == []  # district step: not m1's
    with pytest.raises(AccessDenied):
        decide(db, application, "officer_m1", "approve")
    db.rollback()

    decide(db, application, "commander", "approve")  # the bureau (district, in the city)
    assert application.status == Status.APPROVED.value
    assert application.verification_code and len(application.verification_code) == 12
    history = [e.action for e in applications.history(db, application.id)]
    assert history == ["created", "attached", "submitted", "approve", "approve"]
    found = review.verify(db, code=application.verification_code.lower())
    assert (found.name_en, found.status) == ("Social insurance enrolment", "approved")


def test_returned_application_is_corrected_and_resubmitted_from_the_first_step(
    ready: City, db: Session, tmp_path: Path
) -> None:
    application = submitted(db, tmp_path)
    decide(db, application, "officer_m1", "approve")
    with pytest.raises(InvalidInput, match="reason"):
        decide(db, application, "commander", "return")
    db.rollback()
    decide(db, application, "commander", "return", "ID photo unreadable")
    assert (application.status, application.reason) == (
        Status.RETURNED.value,
        "ID photo unreadable",
    )
    assert review.queue(db, principal=principal(db, "commander"), today=MONDAY) == []

    wang = principal(db, "resident_wang")
    applications.attach(
        db, principal=wang, data_dir=tmp_path, secret=TEST_SECRET, application_id=application.id,
        requirement="id_copy", filename="clear.png", data=b"\x89PNG\r\n\x1a\n" + b"1" * 40,
    )  # fmt: skip
    applications.submit(
        db, principal=wang, application_id=application.id,
        expected_version=application.row_version, now=NOW,
        today=MONDAY + timedelta(days=3), holidays=(),
    )  # fmt: skip
    db.commit()
    assert (application.status, application.current_step) == (Status.IN_REVIEW.value, 0)
    assert application.due_on == date(2026, 12, 17)  # Thursday + 5 working days, anew
    assert [a.filename for a in applications.attachments_of(db, application.id)] == ["clear.png"]
    actions = [e.action for e in applications.history(db, application.id)]
    assert actions[-3:] == ["return", "attached", "resubmitted"]


def test_rejection_needs_a_reason_and_ends_the_application(
    ready: City, db: Session, tmp_path: Path
) -> None:
    application = submitted(db, tmp_path)
    decide(db, application, "officer_m1", "reject", "not resident in this city")
    assert application.status == Status.REJECTED.value
    assert application.verification_code is None
    with pytest.raises(Conflict):
        decide(db, application, "officer_m1", "approve")


def test_overdue_counts_working_days_and_comes_first_in_the_queue(
    ready: City, db: Session, tmp_path: Path
) -> None:
    friday = date(2026, 12, 4)
    old = submitted(db, tmp_path, today=friday)  # RS-004: 5 working days -> Friday 11th
    new = submitted(db, tmp_path, today=MONDAY)
    assert old.due_on == date(2026, 12, 11)
    commander = principal(db, "commander")
    saturday, monday = date(2026, 12, 12), date(2026, 12, 14)
    on_sat = review.queue(db, principal=commander, today=saturday)
    assert [(r.application.id, r.is_overdue) for r in on_sat] == [(old.id, True), (new.id, False)]
    assert not review.queue(db, principal=commander, today=date(2026, 12, 11))[0].is_overdue
    assert [r.is_overdue for r in review.queue(db, principal=commander, today=monday)] == [
        True, False,
    ]  # fmt: skip


def test_editing_an_item_adds_a_version_and_applications_keep_theirs(
    ready: City, db: Session, tmp_path: Path
) -> None:
    application = submitted(db, tmp_path)
    entry = catalogue.latest(db, code="RS-004")
    changed = ItemIn.model_validate(
        {
            "code": "RS-004", "name_zh": entry.version.name_zh, "name_en": "Social insurance",
            "department": entry.version.department, "time_limit_days": 3,
            "definition": entry.version.definition,
        }
    )  # fmt: skip
    version, is_new = catalogue.save(db, data=changed, actor=principal(db, "admin"))
    assert (version.version, is_new) == (2, True)
    assert catalogue.save(db, data=changed, actor=None) == (version, False)
    db.commit()
    assert catalogue.latest(db, code="RS-004").version.time_limit_days == 3
    assert applications.version_of(db, application).version == 1
    decide(db, application, "officer_m1", "approve")
    assert application.current_step == 1


def test_courier_delivery_validates_the_tracking_number(
    ready: City, db: Session, tmp_path: Path
) -> None:
    application = submitted(db, tmp_path, delivery="electronic")
    decide(db, application, "officer_m1", "approve")
    decide(db, application, "commander", "approve")
    commander = principal(db, "commander")
    with pytest.raises(Conflict, match="courier"):
        review.send_by_courier(
            db, principal=commander, application_id=application.id,
            expected_version=application.row_version, company="SF",
            tracking_number="SF1234567890123",
        )  # fmt: skip


def test_import_of_510_items_then_again_changes_nothing(
    db: Session, city: City, tmp_path: Path
) -> None:
    base = json.loads(Path("epicontrol/approvals/catalogue_demo.json").read_text(encoding="utf-8"))
    items = [{**base[n % 10], "code": f"NX-{n:04d}"} for n in range(510)]
    path = tmp_path / "ningxiang.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    result = catalogue.import_file(db, path, actor="test")
    db.commit()
    seconds = time.perf_counter() - started
    assert (result.created, result.new_versions, result.unchanged) == (510, 0, 0)
    assert len(catalogue.entries(db)) == 510
    again = catalogue.import_file(db, path, actor="test")
    assert (again.created, again.unchanged) == (0, 510)
    assert seconds < 30, seconds
    print(f"import of 510 items: {seconds:.2f} s on {db.get_bind().dialect.name}")


def test_import_command_stores_nothing_from_a_file_with_one_bad_item(
    db: Session, city: City, settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from epicontrol.cli import app
    from epicontrol.core.settings import get_settings

    monkeypatch.setenv("EPICONTROL_DATABASE_URL", settings.database_url)  # type: ignore[attr-defined]
    get_settings.cache_clear()
    items = json.loads(Path("epicontrol/approvals/catalogue_demo.json").read_text(encoding="utf-8"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([*items, {**items[0], "code": "BAD", "time_limit_days": 0}]))
    runner = CliRunner()
    refused = runner.invoke(app, ["approvals", "import-catalogue", str(bad)])
    assert refused.exit_code == 2
    assert db.scalar(select(func.count()).select_from(ApprovalItemVersion)) == 0
    good = tmp_path / "good.json"
    good.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    done = runner.invoke(app, ["approvals", "import-catalogue", str(good)])
    get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert db.scalar(select(func.count()).select_from(ApprovalItemVersion)) == 10
    assert db.scalar(select(func.count()).where(AuditEntry.entity == "approval_item")) == 1


def test_courier_status_goes_sent_then_delivered(ready: City, db: Session, tmp_path: Path) -> None:
    application = submitted(
        db, tmp_path, code="GA-005", delivery="courier", address="宁乡市玉潭街道 1 号"
    )
    assert application.status == Status.IN_REVIEW.value
    decide(db, application, "officer_m1", "approve")
    decide(db, application, "commander", "approve")
    assert application.delivery_status == DeliveryStatus.AWAITING.value
    commander = principal(db, "commander")
    with pytest.raises(InvalidInput, match="not a SF tracking number"):
        review.send_by_courier(
            db, principal=commander, application_id=application.id,
            expected_version=application.row_version, company="SF", tracking_number="12345",
        )  # fmt: skip
    review.send_by_courier(
        db, principal=commander, application_id=application.id,
        expected_version=application.row_version, company="SF", tracking_number="sf 1234567890123",
    )  # fmt: skip
    assert (application.tracking_number, application.delivery_status) == ("SF1234567890123", "sent")
    review.mark_delivered(
        db, principal=commander, application_id=application.id,
        expected_version=application.row_version,
    )  # fmt: skip
    db.commit()
    stored = db.get(ApprovalApplication, application.id)
    assert stored is not None and stored.delivery_status == DeliveryStatus.DELIVERED.value

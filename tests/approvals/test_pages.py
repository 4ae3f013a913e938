"""The approval pages through the app: the applicant's form and uploads, the reviewers' pages,
what is served to whom, the public verification page, the catalogue editor."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.approvals import attachments, sealing
from epicontrol.approvals.models import ApprovalApplication, ApprovalAttachment
from epicontrol.core.errors import InvalidInput
from epicontrol.core.settings import Settings
from tests.approvals.support import (
    ANSWERS,
    ID_NUMBER,
    PDF,
    PNG,
    bearer,
    decide,
    load_catalogue,
    submitted,
)
from tests.factories import City

PAGE = {"Accept": "text/html"}


@pytest.fixture
def ready(db: Session, city: City) -> City:
    load_catalogue(db)
    return city


def _as(db: Session, username: str) -> dict[str, str]:
    return {**PAGE, **bearer(db, username)}


def test_catalogue_and_item_pages_are_public_in_both_languages(
    ready: City, client: TestClient
) -> None:
    english = client.get("/public/approvals?lang=en")
    assert english.status_code == 200
    assert "Online approvals" in english.text and "Food business permit" in english.text
    chinese = client.get("/public/approvals/items/SCJG-002?lang=zh")
    assert "食品经营许可" in chinese.text and "法定办结时限" in chinese.text
    assert "10 个工作日" in chinese.text
    assert client.get("/public/approvals/items/NOPE").status_code == 404


def test_apply_form_refuses_bad_answers_field_by_field_and_stores_nothing(
    ready: City, client: TestClient, db: Session
) -> None:
    headers = _as(db, "resident_wang")
    form = client.get("/public/me/approvals/new/RS-004?lang=en", headers=headers)
    assert form.status_code == 200 and 'name="id_number"' in form.text
    bad = {**ANSWERS, "id_number": ID_NUMBER[:17] + "0", "scheme": "gold", "start_on": ""}
    refused = client.post("/public/me/approvals/new/RS-004", data=bad, headers=headers)
    assert refused.status_code == 422
    for field in ("id_number", "scheme", "start_on"):
        assert f'id="error-{field}"' in refused.text
    assert 'id="error-applicant_name"' not in refused.text
    assert "check digit" in refused.text
    assert db.scalar(select(func.count()).select_from(ApprovalApplication)) == 0

    made = client.post(
        "/public/me/approvals/new/RS-004", data=ANSWERS, headers=headers, follow_redirects=False
    )
    assert made.status_code == 303
    detail = client.get(made.headers["location"] + "?lang=zh", headers=headers)
    assert "草稿：尚未提交" in detail.text
    assert ID_NUMBER not in detail.text  # shown masked, stored encrypted
    stored = db.scalar(select(ApprovalApplication))
    assert stored is not None and ID_NUMBER.encode() not in stored.answers_enc
    not_mine = client.get(made.headers["location"], headers=bearer(db, "resident_zhang"))
    assert not_mine.status_code == 404


def test_uploads_are_judged_by_content_and_size_and_kept_by_sha256(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    headers = _as(db, "resident_wang")
    answers = {
        "applicant_name": "王建国", "id_number": ID_NUMBER, "address": "宁乡市玉潭街道 1 号",
        "since": "2019-06-01", "basis": "work", "phone": "13800001111", "delivery": "electronic",
    }  # fmt: skip
    made = client.post("/public/me/approvals/new/GA-005", data=answers, headers=headers)
    assert made.status_code == 200, re.findall(r"field-error[^<]*<", made.text)
    application_id = int(str(made.url).rsplit("/", 1)[-1])
    url = f"/public/me/approvals/{application_id}/attachments"

    def upload(requirement: str, name: str, data: bytes) -> int:
        files = {"file": (name, data, "image/jpeg")}
        answer = client.post(url, data={"requirement": requirement}, files=files, headers=headers)
        return answer.status_code

    assert upload("photo", "photo.jpg", PDF) == 422  # a PDF called .jpg: photos are JPEG/PNG
    assert upload("photo", "photo.png", PNG + b"0" * (2 * 1024 * 1024)) == 422  # over 2 MB
    assert upload("photo", "photo.png", b"") == 422
    assert upload("nothing", "x.pdf", PDF) == 422
    assert db.scalar(select(func.count()).select_from(ApprovalAttachment)) == 0
    assert upload("photo", "../../me.png", PNG) == 200  # after the redirect
    stored = db.scalar(select(ApprovalAttachment))
    assert stored is not None
    assert (stored.content_type, stored.filename, stored.size) == ("image/png", "me.png", len(PNG))
    path = settings.data_dir / "approvals" / str(application_id) / stored.sha256
    assert path.read_bytes().startswith(sealing.HEADER)  # encrypted at rest
    submit = client.post(
        f"/public/me/approvals/{application_id}/submit", data={"row_version": "3"}, headers=headers
    )
    assert submit.status_code == 422 and "Proof of residence" in submit.text


def test_reading_stops_at_the_upload_limit() -> None:
    with pytest.raises(InvalidInput, match="too large"):
        attachments.read_limited(io.BytesIO(b"x" * 100_000), 70_000)
    assert attachments.read_limited(io.BytesIO(b"x" * 10), 10) == b"x" * 10


def test_attachments_are_served_only_inside_the_application_scope(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    application = submitted(db, settings.data_dir)
    attachment = db.scalar(select(ApprovalAttachment))
    assert attachment is not None
    own = f"/public/me/approvals/{application.id}/attachments/{attachment.id}"
    staff = f"/approvals/applications/{application.id}/attachments/{attachment.id}"
    mine = client.get(own, headers=bearer(db, "resident_wang"))
    assert mine.status_code == 200 and mine.content == PDF
    assert mine.headers["content-type"] == "application/pdf"
    assert mine.headers["content-disposition"].startswith("attachment;")
    assert client.get(own, headers=bearer(db, "resident_zhang")).status_code == 404
    assert client.get(staff, headers=bearer(db, "officer_m3")).status_code == 403
    assert client.get(staff, headers=bearer(db, "resident_zhang")).status_code == 403
    assert client.get(staff).status_code == 401
    assert client.get(staff, headers=bearer(db, "officer_m1")).content == PDF


def test_a_decision_on_a_stale_version_gets_409_and_changes_nothing(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    application = submitted(db, settings.data_dir)
    url = f"/approvals/applications/{application.id}/decision"
    seen = {"row_version": str(application.row_version), "action": "approve"}
    first = client.post(url, data=seen, headers=bearer(db, "commander"), follow_redirects=False)
    assert first.status_code == 303
    again = client.post(url, data=seen, headers=bearer(db, "commander"))
    assert again.status_code == 409 and "reload" in again.json()["detail"]
    as_page = client.post(url, data=seen, headers=_as(db, "commander"))
    assert as_page.status_code == 409 and 'id="review-message"' in as_page.text
    db.expire_all()
    stored = db.get(ApprovalApplication, application.id)
    assert stored is not None and stored.current_step == 1


def test_queue_page_shows_overdue_first(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    late = submitted(db, settings.data_dir, today=date(2020, 2, 3))
    fresh = submitted(db, settings.data_dir, today=date(2099, 1, 5))
    page = client.get("/approvals/queue", headers=_as(db, "officer_m1")).text
    assert page.index(f'id="queue-{late.id}"') < page.index(f'id="queue-{fresh.id}"')
    assert 'data-overdue="true"' in page
    assert (
        f'id="queue-{late.id}"'
        not in client.get("/approvals/queue", headers=_as(db, "officer_m3")).text
    )


def test_certificate_and_public_verification_page_leak_nothing_personal(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    application = submitted(db, settings.data_dir)
    decide(db, application, "officer_m1", "approve")
    decide(db, application, "commander", "approve")
    code = application.verification_code
    assert code is not None
    certificate = client.get(
        f"/public/me/approvals/{application.id}/certificate?lang=en",
        headers=bearer(db, "resident_wang"),
    )
    assert certificate.status_code == 200
    assert code in certificate.text and "<svg" in certificate.text
    assert f"/public/approvals/verify/{code}" in certificate.text
    assert "<script" not in certificate.text
    public = client.get(f"/public/approvals/verify/{code}?lang=en")
    assert public.status_code == 200
    assert "Social insurance enrolment" in public.text and "Genuine" in public.text
    private = ("王建国", "王*", ID_NUMBER, ID_NUMBER[-4:], "13800001111", "2020-02-10")
    for personal in (*private, application.reference, "resident_wang"):
        assert personal not in public.text, personal
    assert client.get("/public/approvals/verify/AAAAAAAAAAAA").status_code == 404
    outsider = client.get(
        f"/public/me/approvals/{application.id}/certificate", headers=bearer(db, "resident_zhang")
    )
    assert outsider.status_code == 404


def test_catalogue_editor_saves_a_new_version_and_refuses_a_bad_definition(
    ready: City, client: TestClient, db: Session
) -> None:
    editor = client.get("/approvals/catalogue/RS-004", headers=_as(db, "commander"))
    assert editor.status_code == 200 and "v1 → v2" in editor.text
    form = {
        "code": "RS-004", "name_zh": "社会保险参保登记", "name_en": "Social insurance",
        "department": "人社局", "time_limit_days": "3",
        "definition": '{"fields": [{"name": "n", "label_zh": "姓名", "label_en": "Name",'
        ' "kind": "text"}], "steps": [{"name_zh": "审", "name_en": "Review",'
        ' "level": "district"}]}',
    }  # fmt: skip
    saved = client.post(
        "/approvals/catalogue", data=form, headers=_as(db, "commander"), follow_redirects=False
    )
    assert saved.status_code == 303
    assert "v2" in client.get("/approvals/catalogue", headers=_as(db, "admin")).text
    broken = client.post(
        "/approvals/catalogue", data={**form, "definition": "{"}, headers=_as(db, "commander")
    )
    assert broken.status_code == 422 and "not JSON" in broken.text
    no_steps = client.post(
        "/approvals/catalogue",
        data={**form, "definition": '{"fields": [], "steps": []}'},
        headers=_as(db, "commander"),
    )
    assert no_steps.status_code == 422
    assert client.get("/approvals/catalogue", headers=bearer(db, "officer_m1")).status_code == 403

"""Attachments encrypted at rest, on SQLite and PostgreSQL: what lies on disk, what a download
gives, files altered or sealed elsewhere refused, clear files of earlier versions served and then
encrypted by `epicontrol approvals encrypt-attachments`."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.approvals import sealing
from epicontrol.approvals.attachments import folder
from epicontrol.approvals.models import ApprovalApplication, ApprovalAttachment
from epicontrol.core.crypto import derive_key
from epicontrol.core.settings import Settings
from tests.approvals.support import ANSWERS, ID_NUMBER, PDF, PNG, bearer, load_catalogue, submitted
from tests.factories import TEST_SECRET, City

# A scan whose bytes hold the applicant's ID number, as an ID card copy does.
ID_SCAN = PDF + f"resident ID {ID_NUMBER}\n".encode() * 20
PHOTO_LIMIT = 2 * 1024 * 1024  # GA-005's photo rule


@pytest.fixture
def ready(db: Session, city: City) -> City:
    load_catalogue(db)
    return city


def _stored(settings: Settings, attachment: ApprovalAttachment) -> Path:
    return folder(settings.data_dir, attachment.application_id) / attachment.sha256


def _only_attachment(db: Session, application: ApprovalApplication) -> ApprovalAttachment:
    db.expire_all()
    found = db.scalars(
        select(ApprovalAttachment).where(ApprovalAttachment.application_id == application.id)
    ).one()
    return found


def _download(client: TestClient, db: Session, attachment: ApprovalAttachment) -> bytes:
    url = f"/public/me/approvals/{attachment.application_id}/attachments/{attachment.id}"
    answer = client.get(url, headers=bearer(db, "resident_wang"))
    assert answer.status_code == 200, answer.text
    return answer.content


def _draft(client: TestClient, db: Session, code: str, answers: dict[str, str]) -> str:
    made = client.post(
        f"/public/me/approvals/new/{code}", data=answers, headers=bearer(db, "resident_wang"),
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    return f"{made.headers['location']}/attachments"


def _upload(client: TestClient, db: Session, url: str, requirement: str, data: bytes) -> int:
    files = {"file": ("身份证 王建国.pdf", data, "application/pdf")}
    headers = bearer(db, "resident_wang")
    answer = client.post(url, data={"requirement": requirement}, files=files, headers=headers)
    return answer.status_code


def test_an_upload_is_encrypted_on_disk_and_downloaded_as_uploaded(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    url = _draft(client, db, "RS-004", ANSWERS)
    assert _upload(client, db, url, "id_copy", ID_SCAN) == 200  # after the redirect
    attachment = db.scalars(select(ApprovalAttachment)).one()
    on_disk = _stored(settings, attachment).read_bytes()
    assert on_disk.startswith(sealing.HEADER)
    assert ID_NUMBER.encode() not in on_disk and b"%PDF" not in on_disk
    assert (attachment.size, attachment.content_type) == (len(ID_SCAN), "application/pdf")
    assert _download(client, db, attachment) == ID_SCAN
    staff = f"/approvals/applications/{attachment.application_id}/attachments/{attachment.id}"
    assert client.get(staff, headers=bearer(db, "officer_m1")).content == ID_SCAN

    # The same file again: same name (its SHA-256), a fresh nonce, so other bytes on disk.
    assert _upload(client, db, url, "id_copy", ID_SCAN) == 200
    again = _stored(settings, attachment).read_bytes()
    assert again.startswith(sealing.HEADER) and again != on_disk
    assert _download(client, db, db.scalars(select(ApprovalAttachment)).one()) == ID_SCAN
    assert not list(folder(settings.data_dir, attachment.application_id).glob("*.part"))


def test_files_are_sealed_under_a_key_of_their_own_not_the_secret_or_the_answers_key() -> None:
    place = sealing.Placement(7, hashlib.sha256(ID_SCAN).hexdigest())
    blob = sealing.cipher_for(TEST_SECRET).seal(ID_SCAN, place)
    nonce, sealed = blob[len(sealing.HEADER) :][:12], blob[len(sealing.HEADER) + 12 :]
    aad = place.associated_data()
    own_key = derive_key(TEST_SECRET, sealing.PURPOSE)
    assert AESGCM(own_key).decrypt(nonce, sealed, aad) == ID_SCAN
    answers_key = derive_key(TEST_SECRET, b"epicontrol/field-encryption/v1")
    raw_secret = TEST_SECRET.encode()[:32]
    for other in (answers_key, raw_secret):
        with pytest.raises(InvalidTag):
            AESGCM(other).decrypt(nonce, sealed, aad)


def test_type_and_size_are_judged_on_the_clear_bytes_before_encryption(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    answers = {
        "applicant_name": "王建国", "id_number": ID_NUMBER, "address": "宁乡市玉潭街道 1 号",
        "since": "2019-06-01", "basis": "work", "phone": "13800001111", "delivery": "electronic",
    }  # fmt: skip
    url = _draft(client, db, "GA-005", answers)
    application_id = int(url.split("/")[-2])
    too_big = PNG + b"0" * (PHOTO_LIMIT - len(PNG) + 1)
    assert _upload(client, db, url, "photo", too_big) == 422
    assert _upload(client, db, url, "photo", PDF) == 422  # a PDF is no photo
    assert not folder(settings.data_dir, application_id).exists()  # nothing written
    at_limit = too_big[:-1]  # its sealed file is larger than the limit: still accepted
    assert _upload(client, db, url, "photo", at_limit) == 200
    attachment = db.scalars(select(ApprovalAttachment)).one()
    assert (attachment.size, attachment.content_type) == (PHOTO_LIMIT, "image/png")
    assert _stored(settings, attachment).stat().st_size > PHOTO_LIMIT
    assert _download(client, db, attachment) == at_limit


def test_an_altered_file_is_refused_and_logged_without_personal_data(
    ready: City,
    client: TestClient,
    db: Session,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attachment = _only_attachment(db, submitted(db, settings.data_dir))
    path = _stored(settings, attachment)
    sealed = path.read_bytes()
    path.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))  # one bit of the tag
    url = f"/public/me/approvals/{attachment.application_id}/attachments/{attachment.id}"
    with caplog.at_level(logging.ERROR, logger="epicontrol.approvals.attachments"):
        refused = client.get(url, headers=bearer(db, "resident_wang"))
    assert refused.status_code == 500
    assert "integrity check" in refused.json()["detail"]
    assert PDF not in refused.content
    logged = [r.getMessage() for r in caplog.records if r.name.endswith("attachments")]
    assert logged == [
        f"approval attachment {attachment.id} of application {attachment.application_id} "
        f"not served: {refused.json()['detail']}"
    ]
    assert "doc.pdf" not in logged[0] and "王" not in logged[0]
    page = client.get(url, headers={"Accept": "text/html", **bearer(db, "resident_wang")})
    assert page.status_code == 500 and "integrity check" in page.text

    path.write_bytes(sealed)  # put back: served again
    assert _download(client, db, attachment) == PDF


def test_a_file_sealed_under_another_secret_or_for_another_application_is_refused(
    ready: City, client: TestClient, db: Session, settings: Settings
) -> None:
    first = _only_attachment(db, submitted(db, settings.data_dir))
    second_application = submitted(db, settings.data_dir)
    second = db.scalars(
        select(ApprovalAttachment).where(ApprovalAttachment.application_id == second_application.id)
    ).one()
    assert first.sha256 == second.sha256  # the same document, in two applications
    url = f"/public/me/approvals/{second.application_id}/attachments/{second.id}"

    # The first application's file moved into the second's folder: bound to its application.
    _stored(settings, second).write_bytes(_stored(settings, first).read_bytes())
    assert client.get(url, headers=bearer(db, "resident_wang")).status_code == 500

    elsewhere = sealing.AttachmentCipher("another deployment's secret")
    place = sealing.Placement(second.application_id, second.sha256)
    _stored(settings, second).write_bytes(elsewhere.seal(PDF, place))
    refused = client.get(url, headers=bearer(db, "resident_wang"))
    assert refused.status_code == 500 and "another deployment secret" in refused.json()["detail"]

    _stored(settings, second).unlink()
    missing = client.get(url, headers=bearer(db, "resident_wang"))
    assert missing.status_code == 500 and "missing" in missing.json()["detail"]
    assert _download(client, db, first) == PDF


def _encrypt_command(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    from epicontrol.cli import app
    from epicontrol.core.settings import get_settings

    monkeypatch.setenv("EPICONTROL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EPICONTROL_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["approvals", "encrypt-attachments"])
    finally:
        get_settings.cache_clear()
    return done.exit_code, done.output


def test_clear_files_of_earlier_versions_are_served_then_encrypted_once_by_the_command(
    ready: City,
    client: TestClient,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    legacy = _only_attachment(db, submitted(db, settings.data_dir))
    _stored(settings, legacy).write_bytes(PDF)  # as the version before encryption wrote it
    current = _only_attachment(db, submitted(db, settings.data_dir))
    assert _download(client, db, legacy) == PDF
    half_written = folder(settings.data_dir, legacy.application_id) / f".{legacy.sha256}.x.part"
    half_written.write_bytes(PDF[:5])

    code, output = _encrypt_command(settings, monkeypatch)
    assert code == 0, output
    assert "2 files: 1 encrypted, 1 already encrypted, 0 damaged" in output
    on_disk = _stored(settings, legacy).read_bytes()
    assert on_disk.startswith(sealing.HEADER) and b"%PDF" not in on_disk
    assert _download(client, db, legacy) == PDF
    assert half_written.read_bytes() == PDF[:5]  # not an attachment: left alone

    before = {path: path.read_bytes() for path in settings.data_dir.rglob("*") if path.is_file()}
    code, output = _encrypt_command(settings, monkeypatch)
    assert code == 0 and "0 encrypted, 2 already encrypted" in output, output
    after = {path: path.read_bytes() for path in settings.data_dir.rglob("*") if path.is_file()}
    assert after == before
    assert _download(client, db, current) == PDF


def test_the_command_leaves_an_altered_clear_file_as_it_is_and_says_so(
    ready: City,
    client: TestClient,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attachment = _only_attachment(db, submitted(db, settings.data_dir))
    altered = PDF.replace(b"1.4", b"1.7")  # clear, but no longer the file that was uploaded
    _stored(settings, attachment).write_bytes(altered)
    url = f"/public/me/approvals/{attachment.application_id}/attachments/{attachment.id}"
    refused = client.get(url, headers=bearer(db, "resident_wang"))
    assert refused.status_code == 500 and "SHA-256" in refused.json()["detail"]

    code, output = _encrypt_command(settings, monkeypatch)
    assert code == 1
    assert "1 file: 0 encrypted, 0 already encrypted, 1 damaged" in output
    assert attachment.sha256 in output
    assert _stored(settings, attachment).read_bytes() == altered  # sealing would hide it


def test_the_command_refuses_the_demo_secret_where_it_is_not_allowed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from epicontrol.core.settings import DEMO_SECRET_KEY

    clear = folder(settings.data_dir, 1) / hashlib.sha256(PDF).hexdigest()
    clear.parent.mkdir(parents=True)
    clear.write_bytes(PDF)
    monkeypatch.setenv("EPICONTROL_ALLOW_DEMO_SECRET", "false")
    demo = settings.model_copy(update={"secret_key": DEMO_SECRET_KEY})
    code, output = _encrypt_command(demo, monkeypatch)
    assert code == 2 and "EPICONTROL_SECRET_KEY" in output
    assert clear.read_bytes() == PDF

"""The self-check and report pages in chromium on a phone-sized screen, against a real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.places.models import Place, PlaceKind
from epicontrol.reports.models import SelfCheck, Tip
from tests.browser.support import screenshot
from tests.factories import City


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """SQLite only: the same services run on both backends in the API and page tests."""
    path = tmp_path / "store.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


def test_public_self_check_and_report_on_a_phone(
    phone: Page,
    live_server: str,
    city: City,
    db: Session,
) -> None:
    db.add(
        Place(
            code="FC-1",
            name="区人民医院发热门诊",
            kind=PlaceKind.FEVER_CLINIC.value,
            division_id=city.divisions["s1"],
            address="人民路1号",
        )
    )
    db.commit()
    phone.goto(f"{live_server}/self-check")
    phone.fill("input[name=temperature]", "38.2")
    phone.check("input[value=cough]")
    phone.select_option("select[name=division_id]", label="测试m1 · community")
    phone.click("form button[type=submit]")
    advice = phone.locator("[data-triage]")
    expect(advice).to_have_attribute("data-triage", "fever_clinic")
    expect(advice.locator(".sc-clinic")).to_contain_text("区人民医院发热门诊")
    expect(advice.locator(".sc-reasons")).to_contain_text("38.2 °C ≥ 37.3 °C")
    screenshot(phone, "self-check-fever-clinic")
    phone.goto(f"{live_server}/report")
    phone.select_option("select[name=kind]", "gathering")
    phone.fill("textarea[name=description]", "3号楼天台每晚有十几人聚餐")
    phone.select_option("select[name=division_id]", label="测试m1 · community")
    phone.click("form button[type=submit]")
    expect(phone.locator(".receipt")).to_contain_text("#1")
    screenshot(phone, "report-received")
    assert db.scalar(select(func.count()).select_from(SelfCheck)) == 0
    assert db.scalar(select(func.count()).select_from(Tip)) == 1

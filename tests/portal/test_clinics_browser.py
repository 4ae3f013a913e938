"""Fever clinics and affected estates on a phone in chromium, in Chinese and English, with every
request off loopback aborted (the map is served by the app): the browser's position ranks the
clinics, the map draws them; a typo finds an estate, whose link lists the clinics near it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests.browser.conftest import db_url  # noqa: F401  (SQLite only, like the other browser tests)
from tests.browser.support import keep_on_loopback, screenshot
from tests.browser_fixtures import PHONE
from tests.factories import City
from tests.portal.test_clinics_setup import FIRST, LATEST, add_clinics, add_estates

NEAR_WEST = {"latitude": 34.752, "longitude": 113.570}  # nearest: 西区中心医院发热门诊


@pytest.fixture
def located_phone(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A phone that grants the page its position and reaches nothing beyond loopback."""
    context = browser.new_context(
        **PHONE,  # type: ignore[arg-type]
        geolocation=NEAR_WEST,
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    outside = keep_on_loopback(context)
    yield context.new_page(), outside
    context.close()


def _switch(page: Page, language: str) -> None:
    page.locator(f"#language-switch a[hreflang={language}]").click()


def test_nearest_clinic_from_the_phones_position_and_estate_search(
    located_phone: tuple[Page, list[str]], live_server: str, city: City, db: Session
) -> None:
    page, outside = located_phone
    add_clinics(db, city, with_hours=True)
    add_estates(db, city)

    page.goto(f"{live_server}/public/clinics?lang=zh")
    expect(page.locator("#clinics-title")).to_have_text("指定发热门诊")
    page.click("#use-location")
    expect(page.locator("li.clinic.nearest h3")).to_contain_text("西区中心医院发热门诊")
    expect(page.locator("li.clinic").first).to_have_attribute("data-code", "FC-WEST")
    expect(page.locator("#clinic-map .scatterlayer .trace")).to_have_count(2)  # clinics, you
    expect(page.locator("li.clinic.nearest .distance")).to_contain_text("直线距离")
    expect(page.locator("#queue-explained")).to_contain_text("每人 15 分钟")
    expect(page.locator("li.clinic.nearest")).to_contain_text("24小时开诊")
    expect(page.locator("li[data-code=FC-EAST] table.hours tr")).to_have_count(5)
    screenshot(page, "portal-clinics-zh")
    _switch(page, "en")
    expect(page.locator("li.clinic.nearest .nearest-badge")).to_have_text("Nearest")
    expect(page.locator("li.clinic.nearest .queue")).to_contain_text("Waiting: 0")
    expect(page.locator("#queue-explained")).to_contain_text("15 minutes per patient")
    expect(page.locator("li[data-code=FC-EAST] table.hours")).to_contain_text("Monday")
    screenshot(page, "portal-clinics-en")

    page.locator("#portal-nav a[href='/public/estates']").click()
    page.fill("#estate-q", "光阳花园")  # two characters swapped
    page.locator("#estate-search button").click()
    expect(page.locator("#estate-list li.estate h3")).to_have_text(["阳光花园"])
    expect(page.locator("#estate-list li.estate")).to_contain_text(
        f"First case reported on {FIRST.isoformat()}"
    )
    expect(page.locator("#estate-list .latest")).to_have_text(
        f"Latest case reported on {LATEST.isoformat()}"
    )
    screenshot(page, "portal-estates-en")
    _switch(page, "zh")
    expect(page.locator("#estate-count")).to_contain_text("有 1 个小区")
    page.fill("#estate-q", "东湖小区")  # a suspected case only: not listed
    page.locator("#estate-search button").click()
    expect(page.locator("#estate-none")).to_have_text("没有相符的涉疫小区。")
    page.fill("#estate-q", "锦秀华庭")
    page.locator("#estate-search button").click()
    expect(page.locator("#estate-list li.estate h3")).to_have_text(["锦绣华庭"])
    screenshot(page, "portal-estates-zh")
    page.locator("#estate-list li.estate a").click()
    expect(page.locator("#clinics-title")).to_have_text("指定发热门诊")
    expect(page.locator("li.clinic.nearest")).to_have_count(1)
    assert outside == [], f"the pages reached outside loopback: {outside}"

"""The public self-check on a phone in chromium, in Chinese and English: a fever sends the
visitor to the nearest clinic and offers a consultation; the booking link asks for a login,
carries the symptoms, books a slot and cancels it. Screenshots are saved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.browser.conftest import db_url  # noqa: F401  (SQLite only, like the other browser tests)
from tests.browser.support import screenshot
from tests.factories import PASSWORD, City
from tests.portal.test_clinics_setup import add_clinics


def _switch(page: Page, language: str) -> None:
    page.locator(f"#language-switch a[hreflang={language}]").click()


def _self_check(page: Page, base: str, language: str, division_id: int) -> None:
    page.goto(f"{base}/public/self-check?lang={language}")
    page.fill("#temperature", "38.2")
    page.locator("input[name=symptoms][value=cough]").check()
    page.select_option("#division", str(division_id))
    page.click("#selfcheck-submit")


def test_self_check_then_book_a_consultation_on_a_phone(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    add_clinics(db, city)

    _self_check(phone, live_server, "zh", city.divisions["m3"])
    expect(phone.locator("#advice")).to_have_text("请前往最近的指定发热门诊。")
    expect(phone.locator("#reasons")).to_contain_text("体温 38.2 °C 属于发热")
    expect(phone.locator("#nearest-clinic")).to_contain_text("西区中心医院发热门诊")
    expect(phone.locator("#consult-link")).to_have_text("预约免费在线问诊")
    screenshot(phone, "portal-selfcheck-zh")

    _self_check(phone, live_server, "en", city.divisions["m3"])
    expect(phone.locator("#advice")).to_have_text("Go to the nearest designated fever clinic.")
    expect(phone.locator("#reasons")).to_contain_text("You reported cough")
    screenshot(phone, "portal-selfcheck-en")

    phone.click("#consult-link")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.fill("input[name=username]", "resident_wang")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/login'] button[type=submit]")
    expect(phone.locator("#consult-title")).to_have_text("Free online consultation")
    expect(phone.locator("#symptoms_summary")).to_have_value("38.2 °C, cough")
    phone.locator("#consult-days a").first.click()  # tomorrow: today's slots may be over
    expect(phone.locator("#consult-slots label.free")).to_have_count(48)
    phone.locator("#consult-slots label.free").nth(4).click()  # 09:00
    phone.fill("#symptoms_summary", "38.2 °C, cough since yesterday")
    phone.click("#consult-submit")
    expect(phone.locator("#booked-notice")).to_have_text("Your consultation is booked.")
    booking = phone.locator("#my-bookings li[data-state=booked]")
    expect(booking).to_contain_text("09:00")
    expect(booking).to_contain_text("cough since yesterday")
    expect(phone.locator("#consult-slots label.free")).to_have_count(48)  # 2 places: 1 left
    expect(phone.locator("#consult-slots label").nth(4)).to_contain_text("1 left")
    screenshot(phone, "portal-consult-en")

    _switch(phone, "zh")
    expect(phone.locator("#consult-title")).to_have_text("免费在线问诊")
    expect(phone.locator("#my-bookings .state")).to_have_text(["已预约"])
    screenshot(phone, "portal-consult-zh")
    phone.locator("#my-bookings button.cancel").click()
    expect(phone.locator("#my-bookings .state")).to_have_text(["已取消"])

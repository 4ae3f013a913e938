"""Case itineraries, crossed paths and the own travel record on a phone in chromium, in Chinese
and English: search the public list by place, log in from the crossed-paths link, see the
matches with what to do, then one's own travel record. Screenshots are saved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.browser.conftest import db_url  # noqa: F401  (SQLite only, like the other browser tests)
from tests.browser.support import screenshot
from tests.factories import PASSWORD, City
from tests.portal.test_crossed_paths import _movements
from tests.portal.test_itineraries import HOME_ADDRESS, build, publish


def _switch(page: Page, language: str) -> None:
    page.locator(f"#language-switch a[hreflang={language}]").click()


def test_itineraries_crossed_paths_and_travel_record_on_a_phone(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    scenario = build(db, city)
    _movements(db, city, scenario)
    publish(db, scenario)

    phone.goto(f"{live_server}/public/itineraries?lang=zh")
    expect(phone.locator("#itineraries-title")).to_have_text("病例轨迹")
    expect(phone.locator("article.case h3")).to_have_text("病例1")
    expect(phone.locator("article.case .place")).to_have_text(["惠民超市", "老街面馆"])
    phone.fill("input[name=place]", "面馆")
    phone.locator("form.find button").click()
    expect(phone.locator("#itineraries-filter")).to_contain_text("涉及“面馆”的轨迹：1 条")
    assert HOME_ADDRESS not in phone.content() and city.names["wang_father"] not in phone.content()
    screenshot(phone, "portal-itineraries-zh")
    _switch(phone, "en")
    expect(phone.locator("article.case h3")).to_have_text("Case 1")
    expect(phone.locator("article.case .muted").first).to_contain_text("Male · aged 50-59")
    screenshot(phone, "portal-itineraries-en")

    phone.click("#crossed-paths-link")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.fill("input[name=username]", "resident_zhang")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/login'] button[type=submit]")
    expect(phone.locator("#crossed-title")).to_have_text("Did I cross paths with a case?")
    expect(phone.locator(".match")).to_have_count(2)
    expect(phone.locator(".match.overlap")).to_contain_text("You were there at the same time.")
    expect(phone.locator("#crossed-todo a[href='/public/clinics']")).to_be_visible()
    screenshot(phone, "portal-crossed-en")
    _switch(phone, "zh")
    expect(phone.locator(".match.after")).to_contain_text("您在病例离开后一小时内到达")
    screenshot(phone, "portal-crossed-zh")

    phone.locator("a[href='/public/me/travel']").last.click()
    expect(phone.locator("#travel-total")).to_have_text("共 8 条记录")
    expect(phone.locator("#travel-records li").first).to_contain_text("老街面馆")
    screenshot(phone, "portal-travel-zh")
    _switch(phone, "en")
    expect(phone.locator("#travel-total")).to_have_text("8 records")
    expect(phone.locator("#travel-records li").first).to_contain_text("Venue check-in")
    screenshot(phone, "portal-travel-en")

"""Face masks on a phone in chromium: a resident reserves in English and sees the pickup code
and its QR, in Chinese too; a neighbour reserves in Chinese; the counter takes the code once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests.browser.conftest import db_url  # noqa: F401  (SQLite only, as the other page tests)
from tests.browser.support import assign_gate, screenshot
from tests.browser_fixtures import PHONE
from tests.factories import PASSWORD, City
from tests.supplies.support import add_pharmacies, open_round


@pytest.fixture
def second_phone(browser: Browser) -> Iterator[Page]:
    """Another phone, with cookies of its own."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _log_in(page: Page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")


def test_resident_reserves_and_the_pharmacy_hands_out(
    phone: Page, second_phone: Page, browser: Browser, live_server: str, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(db, city, [pharmacies["PH-M1"], pharmacies["PH-M1B"]], quota=5)
    assign_gate(db, username="checkpoint_m1", place_code="PH-M1")

    # English: the public list, then log in from it and reserve 3 masks at the first pharmacy.
    phone.goto(f"{live_server}/public/masks?lang=en")
    expect(phone.locator("#masks-title")).to_have_text("Face masks")
    expect(phone.locator(f"#round-{round_id}")).to_contain_text("First come, first served")
    phone.click("#login-to-reserve")
    _log_in(phone, "resident_wang")
    phone.select_option(f"#place-{round_id}", str(pharmacies["PH-M1"]))
    phone.fill(f"#masks-{round_id}", "3")
    phone.click(f"#round-{round_id} button[type=submit]")
    card = phone.locator(".reservation[data-status=confirmed]")
    expect(card.locator(".status")).to_have_text("Reserved: pick up with this code")
    expect(card.locator(".pharmacy")).to_contain_text("测试大药房")
    expect(card.locator(".qr svg")).to_be_visible()
    code = card.locator(".pickup-code").get_attribute("data-code")
    assert code and len(code) == 8
    expect(phone.locator(f"#round-{round_id}")).to_contain_text("Your household has reserved")
    screenshot(phone, "portal-masks-en")

    # The same page in Chinese, through the language switch.
    phone.click("#language-switch a[hreflang=zh]")
    expect(card.locator(".status")).to_have_text("预约成功：凭此码领取")
    expect(card.locator(".pickup-code")).to_have_text(f"{code[:4]}-{code[4:]}")
    screenshot(phone, "portal-masks-zh")

    # A neighbour orders in Chinese; the pharmacy counter hands Wang's masks out once.
    second_phone.goto(f"{live_server}/login?next=/public/masks%3Flang%3Dzh")
    _log_in(second_phone, "resident_zhang")
    expect(second_phone.locator("#masks-title")).to_have_text("口罩预约")
    second_phone.click(f"#round-{round_id} button[type=submit]")
    expect(second_phone.locator(".reservation .status")).to_have_text("预约成功：凭此码领取")

    counter = browser.new_context(**PHONE).new_page()  # type: ignore[arg-type]
    counter.goto(f"{live_server}/supplies/pickup")
    _log_in(counter, "checkpoint_m1")
    expect(counter.locator("#counter-pharmacy")).to_have_text("测试大药房")
    counter.fill("input[name=code]", code.lower())
    counter.click("#pickup-form button[type=submit]")
    expect(counter.locator("#pickup-result")).to_have_attribute("data-reason", "collected")
    expect(counter.locator("#pickup-result")).to_contain_text("3")
    screenshot(counter, "portal-masks-pickup")
    counter.fill("input[name=code]", code)
    counter.click("#pickup-form button[type=submit]")
    expect(counter.locator("#pickup-result")).to_have_attribute("data-reason", "already_collected")
    counter.context.close()

    phone.reload()
    expect(phone.locator(".reservation[data-status=collected] .status")).to_contain_text("已于")

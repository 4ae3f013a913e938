"""A grid worker registers a household visit on a phone-sized chromium (issue 6): the
household's card and the estate's summary update in place."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.divisions.estate_models import EstateRegistration
from tests.browser.conftest import db_url  # noqa: F401
from tests.browser.support import screenshot
from tests.estates.estate_fixtures import add_observation, make_estates
from tests.factories import PASSWORD, City


def test_grid_worker_registers_a_household_visit_on_a_phone(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    made = make_estates(db, city)
    add_observation(db, city, "neighbour")
    db.commit()
    east, h1, h2 = made.ids["east"], city.households["h1"], city.households["h2"]
    phone.goto(f"{live_server}/estates")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.fill("input[name=username]", "gridworker_g1")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/login'] button[type=submit]")
    expect(phone).to_have_url(f"{live_server}/estates")
    phone.get_by_role("link", name="东苑小区").click()
    expect(phone).to_have_url(f"{live_server}/estates/{east}")

    expect(phone.locator("#sum-households")).to_have_text("2")  # g1's part of 东苑
    expect(phone.locator("#sum-registered")).to_have_text("0")
    expect(phone.locator("#sum-observation")).to_have_text("1")
    expect(phone.locator(f"#household-{h2}")).to_have_attribute("data-status", "under_observation")
    card = phone.locator(f"#household-{h1}")
    expect(card).to_have_attribute("data-registered", "never")
    expect(card).to_contain_text("未登记 Not registered yet")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"

    card.get_by_text("登记走访 Register a visit").click()
    card.locator("input[name=members_present]").fill("2")
    card.locator("input[name=has_fever_or_symptoms]").check()
    card.locator("textarea[name=note]").fill("王小明37.9 发热 fever, referred to the clinic")
    card.get_by_role("button", name="保存登记 Save visit").click()

    card = phone.locator(f"#household-{h1}")
    expect(card).to_have_attribute("data-registered", "recent")
    expect(phone).to_have_url(f"{live_server}/estates/{east}")  # swapped in place by htmx
    expect(card).to_have_class(re.compile(r"just-registered"))
    expect(card).to_contain_text("发热/症状 fever or symptoms")
    expect(card).to_contain_text("在家 at home 2")
    expect(phone.locator("#sum-registered")).to_have_text("1")
    expect(phone.locator("#sum-recent")).to_have_text("1")
    expect(phone.locator("#sum-fever")).to_have_text("1")
    expect(phone.locator(f"#household-{h2}")).to_have_attribute("data-status", "under_observation")
    screenshot(phone, "estate-grid-worker-phone")
    db.expire_all()
    visit = db.scalars(select(EstateRegistration)).one()
    assert (visit.household_id, visit.members_present, visit.has_fever_or_symptoms) == (h1, 2, True)
    assert visit.registered_by == "gridworker_g1"

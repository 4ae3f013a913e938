"""The exchange statistics page in chromium: the charts render from the packaged plotly.js."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from epicontrol.exchange.demo import seed_demo
from tests.browser.conftest import db_url  # noqa: F401  (SQLite only, like the other pages)
from tests.browser.support import screenshot
from tests.factories import PASSWORD, City


def test_statistics_page_draws_its_charts(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    seed_demo(db)
    db.commit()
    phone.goto(f"{live_server}/exchange/stats")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    phone.fill("input[name=username]", "commander")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form[action='/login'] button[type=submit]")
    expect(phone.locator("#exchange-stats-title")).to_be_visible()
    expect(phone.locator(".js-plotly-plot")).to_have_count(3)
    expect(phone.locator("#exchange-chart-requests .main-svg").first).to_be_visible()
    expect(phone.locator("#exchange-stats-table")).to_contain_text("arrivals_risk")
    screenshot(phone, "exchange-stats")

"""The command dashboard in chromium with every request off loopback aborted (it works offline):
the charts render, a click on a subdivision changes the figures, a screenshot is saved."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests.analytics.dashboard_scenario import DAY, build
from tests.browser.conftest import db_url  # noqa: F401
from tests.browser.support import keep_on_loopback, screenshot
from tests.factories import PASSWORD, City

CHARTS = 6  # curve by report and by onset, Rt, age pyramid, sex split, map


@pytest.fixture
def desktop(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A commander's wide screen whose requests to any host but 127.0.0.1 are aborted and
    listed, as on a command centre network without internet."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    outside = keep_on_loopback(context)
    yield context.new_page(), outside
    context.close()


def test_dashboard_renders_offline_and_drills_down(
    desktop: tuple[Page, list[str]], live_server: str, city: City, db: Session
) -> None:
    page, outside = desktop
    build(db, city)
    page.goto(f"{live_server}/dashboard?day={DAY.isoformat()}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", "commander")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("#dashboard-title")).to_contain_text("测试city")

    expect(page.locator(".js-plotly-plot")).to_have_count(CHARTS)
    assert page.locator(".main-svg").count() >= CHARTS
    expect(page.locator("#chart-map .scatterlayer .trace")).not_to_have_count(0)
    confirmed = page.locator("#tile-confirmed .total")
    expect(confirmed).to_have_text("3")
    expect(page.locator("#tile-observed .total")).to_have_text("3")
    screenshot(page, "dashboard")

    page.locator("#subdivisions a.drill", has_text="测试d2").click()
    expect(page.locator("#dashboard-title")).to_contain_text("测试d2")
    expect(confirmed).to_have_text("1")
    expect(page.locator("#tile-observed .total")).to_have_text("1")
    expect(page.locator(".js-plotly-plot")).to_have_count(CHARTS)
    page.locator("#breadcrumb a", has_text="测试city").click()
    expect(confirmed).to_have_text("3")

    # The map drills down too: a click on district d1's marker opens d1's dashboard.
    _click_map_marker(page, "测试d1")
    expect(page.locator("#dashboard-title")).to_contain_text("测试d1")
    expect(confirmed).to_have_text("2")

    # The dashboard's briefing link opens the printable briefing of the division on view.
    page.click("#briefing-link")
    expect(page.locator("#briefing-division")).to_have_text("测试d1")
    expect(page.locator("#briefing-day")).to_have_text(DAY.isoformat())
    assert outside == [], f"the page reached outside loopback: {outside}"


def _click_map_marker(page: Page, name: str) -> None:
    """Click the map's marker of the subdivision `name` where plotly draws it on screen."""
    page.locator("#chart-map").scroll_into_view_if_needed()
    box = page.evaluate(
        """(name) => {
          const chart = document.getElementById("chart-map");
          const trace = chart._fullData.findIndex((t) => t.customdata && t.customdata.length);
          const index = chart._fullData[trace].hovertext.findIndex((t) => t.startsWith(name));
          const point = chart.querySelectorAll(".scatterlayer .trace")[trace]
            .querySelectorAll(".point")[index];
          const r = point.getBoundingClientRect();
          return {x: r.x + r.width / 2, y: r.y + r.height / 2};
        }""",
        name,
    )
    page.mouse.move(box["x"], box["y"])
    page.mouse.click(box["x"], box["y"])

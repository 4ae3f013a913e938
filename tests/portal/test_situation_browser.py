"""The portal's home and situation pages on a phone in chromium, in Chinese then English, with
every request off loopback aborted: the figures show, the three trend charts render offline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.portal import feed
from epicontrol.portal.feed_demo import seed_demo
from epicontrol.portal.home import FUNCTIONS
from tests.browser.conftest import db_url  # noqa: F401  (SQLite only, like the other browser tests)
from tests.browser.support import keep_on_loopback, screenshot
from tests.browser_fixtures import PHONE
from tests.factories import City


@pytest.fixture
def offline_phone(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A phone whose requests to any host but 127.0.0.1 are aborted and listed."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    outside = keep_on_loopback(context)
    yield context.new_page(), outside
    context.close()


def _arrange(db: Session, city: City) -> None:
    """Three local cases (one today) and a month of feed figures, the test province's too."""
    now = utcnow()
    today = local_date(now)
    for number, (status, days_ago) in enumerate(
        (("confirmed", 0), ("confirmed", 3), ("asymptomatic", 5))
    ):
        db.add(
            Case(
                case_number=f"C-B{number}",
                resident_id=list(city.residents.values())[number],
                division_id=city.divisions["g1"],
                status=status,
                onset_date=today - timedelta(days=days_ago + 2) if status == "confirmed" else None,
                report_date=today - timedelta(days=days_ago),
                created_by="test",
            )
        )
    seed_demo(db, today=today)
    rows = [feed.COLUMNS] + [
        (
            "province",
            "410000",
            "测试省",
            (today - timedelta(days=n)).isoformat(),
            60 - n,
            2,
            1,
            9,
            0,
        )
        + ("测试省卫健委",)
        for n in range(5)
    ]
    data = "\n".join(",".join(str(cell) for cell in row) for row in rows).encode()
    assert feed.import_feed(db, actor="test", data=data, file_name="p.csv", now=now).committed
    db.commit()


def test_home_and_situation_on_a_phone_in_both_languages(
    offline_phone: tuple[Page, list[str]], live_server: str, city: City, db: Session
) -> None:
    page, outside = offline_phone
    _arrange(db, city)

    page.goto(f"{live_server}/public?lang=zh")
    expect(page.locator("#local-confirmed .total")).to_have_text("2")
    expect(page.locator("#local-confirmed .new")).to_have_text("新增 +1")
    expect(page.locator("#functions a")).to_have_count(len(FUNCTIONS))  # every public function
    screenshot(page, "portal-home-zh")

    page.click("#situation-link")
    expect(page.locator("h1")).to_have_text("实时疫情")
    expect(page.locator("#province h2")).to_contain_text("测试省")
    expect(page.locator("#province-confirmed .total")).to_have_text("60")
    expect(page.locator("#province-confirmed .new")).to_have_text("新增 +1")
    expect(page.locator("#nation h2")).to_contain_text("全国")
    expect(page.locator(".js-plotly-plot")).to_have_count(3)  # local, province, nation
    expect(page.locator("#chart-local .bars path")).not_to_have_count(0)
    expect(page.locator("#provinces tbody tr")).to_have_count(6)
    screenshot(page, "portal-situation-zh")

    page.locator("#language-switch a[hreflang=en]").click()
    expect(page.locator("h1")).to_have_text("Epidemic situation")
    expect(page.locator("#local h2")).to_have_text("ceshi city")
    expect(page.locator("#local-confirmed .label")).to_have_text("Confirmed")
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    expect(page.locator("#chart-nation .gtitle")).to_contain_text("new confirmed per day")
    screenshot(page, "portal-situation-en")

    page.click(".portal-bar .brand")
    expect(page.locator("#functions a").first).to_contain_text("Situation")
    expect(page.locator("#local-observed .label")).to_have_text("Contacts under observation")
    screenshot(page, "portal-home-en")
    assert outside == [], f"the pages reached outside loopback: {outside}"

"""Mask market pages in chromium, one server and one phone for the module: a resident reports
a price with a photo in Chinese; an inspector sees the flagged seller first and the price chart
drawn offline, and takes the case to a warning; the resident finds the outcome among theirs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.market.models import ComplaintKind, MarketReport
from tests.browser.support import keep_on_loopback, log_in_page, screenshot
from tests.browser_fixtures import PHONE
from tests.conftest import city_store, serving
from tests.market.support import add_seller, market_prices, user_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Site:
    """The module's server and what was seeded into its store."""

    base: str
    flagged_seller: int


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One store and one real server for the module's tests (SQLite, like the other pages)."""
    folder = tmp_path_factory.mktemp("market_site")
    url, city = city_store(sqlite_template, folder)
    with session_factory(engine_for(url))() as db:
        seller = _seed(db, city)
    with serving(url, folder) as base:
        yield Site(base, seller)


def _seed(db: object, city: object) -> int:
    """Ordinary prices for the chart and three quality complaints today against one shop."""
    from sqlalchemy.orm import Session

    assert isinstance(db, Session)
    today = utcnow().astimezone(LOCAL_TIME).date()
    for report_id in market_prices(db, city, ["1.00", "1.20", "1.10"]):  # type: ignore[arg-type]
        report = db.get(MarketReport, report_id)
        assert report is not None
        report.observed_on = today - timedelta(days=report_id)
    seller = add_seller(db, city, "劣质口罩店")  # type: ignore[arg-type]
    for name in ("resident_zhang", "admin", "inspector"):
        db.add(
            MarketReport(
                seller_id=seller,
                kind="complaint",
                complaint_kind=ComplaintKind.SUBSTANDARD.value,
                observed_on=today,
                reporter_user_id=user_id(db, name),
                text="耳带断裂",
            )
        )
    db.commit()
    return seller


@pytest.fixture(scope="module")
def phone_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """One phone for the module, kept on loopback (the chart must need nothing outside)."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    outside = keep_on_loopback(context)
    yield context.new_page(), outside
    context.close()


def test_resident_reports_a_price_with_a_photo_in_chinese(
    site: Site, phone_page: tuple[Page, list[str]], tmp_path: Path
) -> None:
    page, _outside = phone_page
    log_in_page(page, site.base, "resident_wang", "/public/market/report%3Flang%3Dzh")
    expect(page.locator("#market-title")).to_have_text("口罩价格质量举报")
    page.fill("#seller_name", "好又多大药房")
    page.select_option("#product", "kn95")
    page.fill("#pack_size", "5")
    page.fill("#price_yuan", "60")
    photo = tmp_path / "tag.png"
    photo.write_bytes(PNG)
    page.set_input_files("#photo", files=photo)
    page.click("#report-submit")

    card = page.locator("article.report").first
    expect(card).to_contain_text("好又多大药房")
    expect(card.locator(".price")).to_have_text("60.00 元 / 5 只")
    expect(card.locator(".outcome")).to_have_text("已收到：执法人员每天核查举报")
    screenshot(page, "market-my-reports-zh")
    page.click("#language-switch a[hreflang=en]")
    expect(card.locator(".outcome")).to_contain_text("Received")


def test_complaint_form_hides_price_fields_and_refuses_a_missing_kind_in_english(
    site: Site, phone_page: tuple[Page, list[str]]
) -> None:
    page, _outside = phone_page
    page.goto(f"{site.base}/public/market/report?lang=en")
    page.check("#kind-complaint")
    expect(page.locator("#price_yuan")).to_be_hidden()
    expect(page.locator("#complaint_kind")).to_be_visible()
    page.click("#report-submit")  # no seller named
    expect(page.locator("#market-message")).to_contain_text("give the seller's name")


def test_inspector_takes_the_flagged_seller_to_a_warning(
    site: Site, phone_page: tuple[Page, list[str]]
) -> None:
    page, outside = phone_page
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_page(page, site.base, "inspector", "/market")
    flag = page.locator("#flags tr.flag").first
    expect(flag).to_have_attribute("data-seller", str(site.flagged_seller))
    expect(flag).to_have_attribute("data-rule", "complaints")
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.reload()
    # plotly.js is 1.4 MB gzipped: parsing it takes a while on a loaded machine.
    expect(page.locator("#price-chart")).to_have_attribute("data-drawn", "1", timeout=30_000)
    assert errors == []
    expect(page.locator("#price-chart .main-svg").first).to_be_visible()
    screenshot(page, "market-board")

    flag.locator("button.open-case").click()
    status = page.locator("#case-status")
    expect(status).to_have_attribute("data-status", "open")
    expect(status).to_have_text("待处理 open")
    page.click("#assign-form button[type=submit]")
    expect(status).to_have_attribute("data-status", "assigned")
    page.fill("#inspection-form textarea[name=findings]", "现场抽检耳带不合格")
    page.click("#inspection-form button[type=submit]")
    expect(status).to_have_attribute("data-status", "inspected")
    page.select_option("#close-form select[name=outcome]", "warning")
    page.click("#close-form button[type=submit]")
    expect(page.locator("#case-outcome")).to_have_attribute("data-outcome", "warning")
    expect(page.locator("#case-outcome")).to_have_text("警告 warning")
    assert outside == []


def test_reporter_sees_the_outcome_marked_new_once(
    site: Site, phone_page: tuple[Page, list[str]]
) -> None:
    page, _outside = phone_page
    page.set_viewport_size(PHONE["viewport"])  # type: ignore[arg-type]
    log_in_page(page, site.base, "resident_zhang", "/public/market/mine%3Flang%3Dzh")
    expect(page.locator("#new-outcomes")).to_be_visible()
    expect(page.locator("article.report .badge").first).to_have_text("新结果")
    expect(page.locator("article.report .outcome").first).to_have_text("已办结：已警告")
    page.reload()
    expect(page.locator("#new-outcomes")).to_have_count(0)

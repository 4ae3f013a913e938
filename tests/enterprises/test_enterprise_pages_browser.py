"""The resumption pages in chromium, one server and one page for the module: a company
registers, uploads its list and applies; the commander filters the queue (HTMX) and approves in
a phase; the public whitelist shows the company and the phase's note in Chinese and English; the
commander edits the phase's note, cannot delete the phase that approval was made in, closes it
today and reopens it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from epicontrol.core.db import engine_for, session_factory
from tests.browser.support import keep_on_loopback, log_in_page, screenshot
from tests.conftest import city_store, serving
from tests.enterprises.support import add_phase, company_in, employee_csv
from tests.factories import City

NOTE = "保障类企业优先 <essential> first"


@pytest.fixture(scope="module")
def city_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, City]]:
    """A real uvicorn on a SQLite copy of the test city with one open phase, for the module."""
    folder = tmp_path_factory.mktemp("enterprise_pages")
    url, city = city_store(sqlite_template, folder)
    with session_factory(engine_for(url))() as db:
        add_phase(db, city, number=1, notes=NOTE)
    with serving(url, folder) as base:  # 120 s: busy CI
        yield base, city
    engine_for(url).dispose()


@pytest.fixture(scope="module")
def desk(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """One desktop page for the module, kept on loopback."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    outside = keep_on_loopback(context)
    yield context.new_page(), outside
    context.close()


def test_company_registers_uploads_and_applies(
    city_server: tuple[str, City], desk: tuple[Page, list[str]], tmp_path: Path
) -> None:
    base, city = city_server
    page, outside = desk
    log_in_page(page, base, "enterprise_s1", "/enterprise")
    expect(page.locator("#company-title")).to_be_visible()
    data = company_in(city)
    form = page.locator("#register-form")
    form.locator("input[name=name]").fill(data.name)
    form.locator("input[name=credit_code]").fill(data.credit_code)
    form.locator("input[name=sector]").fill(data.sector)
    form.locator("select[name=category]").select_option("medical_supplies")
    form.locator("select[name=division_id]").select_option(str(city.divisions["m1"]))
    form.locator("input[name=workforce]").fill("120")
    form.locator("input[value=temperature_checks]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#company h2")).to_have_text(data.name)

    staff = tmp_path / "staff.csv"
    staff.write_bytes(employee_csv(city, ["wang_father", "neighbour", "m3_resident"]))
    page.set_input_files("#upload-form input[type=file]", str(staff))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#check")).to_have_attribute("data-employees", "3")
    expect(page.locator("#check .green")).to_have_attribute("data-count", "3")
    page.click("#apply-form button[type=submit]")
    expect(page.locator("#application-status")).to_have_attribute("data-status", "submitted")
    screenshot(page, "enterprise-company")
    assert outside == []


def test_officer_filters_the_queue_and_approves_in_a_phase(
    city_server: tuple[str, City], desk: tuple[Page, list[str]]
) -> None:
    base, _city = city_server
    page, outside = desk
    log_in_page(page, base, "commander", "/enterprises/review")
    expect(page.locator("#queue tbody tr[data-status=submitted]")).to_have_count(1)
    page.select_option("#queue-filter select[name=status]", "approved")  # HTMX swaps the table
    expect(page.locator("#queue")).to_have_attribute("data-status", "approved")
    expect(page.locator("#queue tbody tr[data-status]")).to_have_count(0)
    page.select_option("#queue-filter select[name=status]", "submitted")
    expect(page.locator("#queue")).to_have_attribute("data-status", "submitted")
    page.locator("#queue a", has_text="测试口罩厂1").click()

    expect(page.locator("#application")).to_have_attribute("data-status", "submitted")
    expect(page.locator("#flagged")).to_contain_text("全部绿码 Everyone is green")
    page.click("#approve-form button[type=submit]")
    expect(page.locator("#application")).to_have_attribute("data-status", "approved")
    expect(page.locator("#status")).to_contain_text("phase 1")
    expect(page.locator("#suspend-form")).to_be_visible()
    screenshot(page, "enterprise-review")
    assert outside == []


def test_public_whitelist_in_chinese_and_english(
    city_server: tuple[str, City], desk: tuple[Page, list[str]]
) -> None:
    base, _city = city_server
    page, outside = desk
    page.context.clear_cookies()
    page.goto(f"{base}/public/resumption?lang=zh")
    expect(page.locator("#resumption-title")).to_have_text("复工复产企业白名单")
    expect(page.locator("#phase-1 h2")).to_have_text("第1批")
    expect(page.locator("#phase-1 tr.company")).to_contain_text("测试口罩厂1")
    expect(page.locator("#phase-1 .phase-notes")).to_have_text(NOTE)  # as written, both languages
    page.click("#language-switch a[hreflang=en]")
    expect(page.locator("#resumption-title")).to_have_text("Companies back at work")
    expect(page.locator("#phase-1 h2")).to_have_text("Phase 1")
    expect(page.locator("#phase-1 .phase-notes")).to_have_text(NOTE)
    screenshot(page, "enterprise-whitelist-en")
    assert outside == []


def test_officer_closes_and_reopens_a_phase_that_cannot_be_deleted(
    city_server: tuple[str, City], desk: tuple[Page, list[str]]
) -> None:
    base, _city = city_server
    page, outside = desk
    log_in_page(page, base, "commander", "/enterprises/phases")
    row = page.locator("#phases tbody tr[data-state]")
    expect(row).to_have_attribute("data-state", "open")
    # A note of two lines: the browser sends the hidden seen_notes back with CRLF, which the
    # close and reopen below must still match.
    row.locator("details.edit-phase summary").click()
    row.locator(".edit-form textarea[name=notes]").fill("第一批 phase one\n保障类 essentials")
    row.locator(".edit-form button[type=submit]").click()
    expect(page.locator("#phase-notice")).to_contain_text("Phase changed")
    expect(row.locator(".notes")).to_have_text("第一批 phase one保障类 essentials")
    row.locator(".delete-form button").click()  # phase 1 holds the approval made above
    expect(page.locator("#phase-error")).to_contain_text("close it instead")
    row.locator(".close-form button").click()
    expect(row).to_have_attribute("data-state", "closed")
    expect(page.locator("#phase-notice")).to_contain_text("Phase closed")
    row.locator(".reopen-form button").click()
    expect(row).to_have_attribute("data-state", "open")
    expect(row.locator(".closes-on")).to_have_text("—")
    screenshot(page, "enterprise-phases")
    assert outside == []

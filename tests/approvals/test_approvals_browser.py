"""Non-meeting approval in chromium, one server and one phone for the module: a resident
applies in English from the catalogue, uploads a document and submits; the community officer
and the commander approve in turn; the resident opens the certificate (QR code) and the public
verification page, which names the item and date and no person; the same pages in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from epicontrol.core.db import engine_for, session_factory
from tests.approvals.support import ID_NUMBER, PDF, load_catalogue
from tests.browser.support import keep_on_loopback, log_in_page, screenshot
from tests.browser_fixtures import PHONE
from tests.conftest import city_store, serving
from tests.factories import PASSWORD

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """One uvicorn for the module, on a SQLite copy holding the test city and the catalogue."""
    folder = tmp_path_factory.mktemp("approvals_browser")
    url, _city = city_store(sqlite_template, folder)
    with session_factory(engine_for(url))() as db:
        load_catalogue(db)
    engine_for(url).dispose()
    with serving(url, folder, timeout=90) as base:
        yield base


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    """One phone for the module; tests log in as whom they need."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    outside = keep_on_loopback(context)
    yield context.new_page()
    assert not outside, outside
    context.close()


def test_resident_applies_in_english_and_submits(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(f"{server}/public/approvals?lang=en")
    expect(page.locator("#approvals-title")).to_have_text("Online approvals")
    page.click("li[data-code='RS-004'] a")
    expect(page.locator("#time-limit")).to_have_text("5 working days")
    page.click("#apply")  # to the login, then back to the form
    page.fill("input[name=username]", "resident_wang")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("#form-title")).to_have_text("Application form")
    page.fill("#field-applicant_name", "王建国")
    page.fill("#field-id_number", ID_NUMBER[:17] + "0")  # a typo in the check digit
    page.fill("#field-start_on", "2020-02-10")
    page.select_option("#field-scheme", "both")
    page.fill("#field-phone", "13800001111")
    page.click("#application-form button[type=submit]")
    expect(page.locator("#error-id_number")).to_contain_text("check digit")
    page.fill("#field-id_number", ID_NUMBER)
    page.click("#application-form button[type=submit]")
    expect(page.locator("#application-status")).to_have_attribute("data-status", "draft")
    document = tmp_path / "id.pdf"
    document.write_bytes(PDF)
    page.set_input_files("[data-requirement=id_copy] input[type=file]", str(document))
    page.click("[data-requirement=id_copy] button[type=submit]")
    expect(page.locator("[data-requirement=id_copy] .uploaded")).to_have_text("id.pdf")
    page.click("#submit-form button[type=submit]")
    expect(page.locator("#application-status")).to_have_text("In review")
    expect(page.locator("#current-step")).to_contain_text("Community check")
    screenshot(page, "approvals-applicant-en")


def test_reviewers_approve_step_by_step(page: Page, server: str) -> None:
    log_in_page(page, server, "officer_m1", "/approvals/queue")
    row = page.locator("#queue tbody tr").first
    expect(row).to_contain_text("社区初审")
    row.locator("a").first.click()
    expect(page.locator("#review-answers")).not_to_contain_text(ID_NUMBER)
    page.click("#approve")
    expect(page.locator("#steps li.current")).to_contain_text("Bureau review")
    expect(page.locator("#decision-form")).to_have_count(0)  # the district's step, not m1's
    log_in_page(page, server, "commander", "/approvals/queue")
    page.locator("#queue tbody tr a").first.click()
    page.click("#approve")
    expect(page.locator("#review-status")).to_have_attribute("data-status", "approved")
    screenshot(page, "approvals-review")


def test_resident_downloads_the_result_and_anyone_can_verify_it(page: Page, server: str) -> None:
    log_in_page(page, server, "resident_wang", "/public/me/approvals%3Flang%3Dzh")
    expect(page.locator("#mine-title")).to_have_text("我的申请")
    page.locator("#application-list a").first.click()
    expect(page.locator("#application-status")).to_have_text("准予许可")
    page.click("#certificate-link")
    expect(page.locator("#certificate .qr svg")).to_be_visible()
    code = page.locator("#verification-code").inner_text()
    screenshot(page, "approvals-certificate")
    page.context.clear_cookies()
    page.goto(f"{server}/public/approvals/verify/{code}?lang=en")
    expect(page.locator("#verified-item")).to_have_text("Social insurance enrolment")
    body = page.locator("body").inner_text()
    assert "王" not in body and ID_NUMBER[-4:] not in body
    screenshot(page, "approvals-verify")

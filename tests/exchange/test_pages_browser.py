"""The exchange pages in chromium: request -> grant -> API key -> export by the key -> revoke,
and the statistics page's charts. One server, one store and one page for the whole module (the
tests run in order and build on each other): a server per test would cost seconds each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from epicontrol.core.db import engine_for, session_factory
from epicontrol.exchange.demo import seed_demo
from tests.browser.support import keep_on_loopback, screenshot
from tests.conftest import city_store, serving
from tests.exchange.conftest import D1
from tests.factories import PASSWORD

EXPORT = "/api/exchange/datasets/contacts_to_locate/export"
PURPOSE = "locate contacts who left their homes"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """A real server on a SQLite copy holding the test city and the exchange demo (grants of
    the liaison "agency" in each state, two weeks of statistics)."""
    folder = tmp_path_factory.mktemp("exchange-browser")
    url, _city = city_store(sqlite_template, folder)
    with session_factory(engine_for(url))() as db:
        seed_demo(db)
        db.commit()
    engine_for(url).dispose()
    with serving(url, folder, timeout=60) as base:
        yield base


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    """One desktop-sized page (the queue and key tables are wide) for the module."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    keep_on_loopback(context)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def flow() -> dict[str, str]:
    """What one test leaves to the next: the grant's row id, the API key."""
    return {}


def _sign_in(page: Page, base: str, username: str, target: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}{target}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    # Before the landing page's load event htmx has not bound its triggers (the dataset select).
    page.wait_for_url(lambda url: urlsplit(url).path != "/login", wait_until="load")


def test_liaison_requests_a_dataset(page: Page, server: str, flow: dict[str, str]) -> None:
    _sign_in(page, server, "agency", "/exchange/grants")
    expect(page.locator("#requests-title")).to_be_visible()
    page.select_option("#dataset", "case_counts")  # htmx swaps in that dataset's fields
    expect(page.locator("#grant-fields input[value=cases]")).to_be_attached()
    page.select_option("#dataset", "contacts_to_locate")
    for field in ("division_code", "name_masked", "phone"):
        page.check(f"#grant-fields input[value={field}]")
    page.check(f"#grant-divisions input[value='{D1}']")
    page.fill("textarea[name=purpose]", PURPOSE)
    page.click("#request-form button[type=submit]")
    row = page.locator("#my-requests tr", has_text=PURPOSE)
    expect(row).to_have_attribute("data-status", "requested")
    flow["grant"] = row.get_attribute("id") or ""
    screenshot(page, "exchange-request")


def test_approver_grants_it_narrowed(page: Page, server: str, flow: dict[str, str]) -> None:
    _sign_in(page, server, "commander", "/exchange/stats")
    page.click("#exchange-approvals-link")
    request = page.locator(f"article#{flow['grant']}")
    expect(request).to_contain_text(PURPOSE)
    screenshot(page, "exchange-queue")
    request.locator("form.grant input[value=phone]").uncheck()
    request.locator("form.grant input[name=note]").fill("phone numbers not needed")
    request.locator("form.grant button[type=submit]").click()
    decided = page.locator(f"#decided tr#{flow['grant']}")
    expect(decided).to_have_attribute("data-status", "granted")
    expect(decided).to_contain_text("division_code, name_masked")
    expect(decided).not_to_contain_text("phone,")


def test_liaison_makes_a_key_shown_once_and_exports_with_it(
    page: Page, server: str, flow: dict[str, str]
) -> None:
    _sign_in(page, server, "agency", "/exchange/keys")
    grant_id = flow["grant"].removeprefix("grant-")
    page.check(f"#key-form input[name=grant_ids][value='{grant_id}']")
    page.fill("#key-form input[name=label]", "police gateway")
    page.click("#key-form button[type=submit]")
    key = page.locator("#issued-secret").inner_text().strip()
    assert re.fullmatch(r"epx_[0-9a-f]{12}_\S+", key)
    screenshot(page, "exchange-key")
    flow["key"] = key
    page.goto(f"{server}/exchange/keys")
    expect(page.locator("#my-keys")).to_contain_text("police gateway")
    assert key not in page.content()  # shown that once only

    # The agency's machine client: the key alone, no login.
    answer = httpx.get(f"{server}{EXPORT}", headers={"X-API-Key": key}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.text.splitlines()[0] == "division_code,name_masked"
    beyond = httpx.get(
        f"{server}{EXPORT}", headers={"X-API-Key": key}, params={"fields": "phone"}, timeout=30
    )
    assert beyond.status_code == 403 and "fields beyond grant" in beyond.text


def test_approver_revokes_and_the_key_stops(page: Page, server: str, flow: dict[str, str]) -> None:
    _sign_in(page, server, "commander", "/exchange/approvals")
    row = page.locator(f"#decided tr#{flow['grant']}")
    row.locator("input[name=note]").fill("operation over")
    row.locator("form.revoke button[type=submit]").click()
    expect(page.locator(f"#decided tr#{flow['grant']}")).to_have_attribute("data-status", "revoked")
    screenshot(page, "exchange-revoked")
    answer = httpx.get(f"{server}{EXPORT}", headers={"X-API-Key": flow["key"]}, timeout=30)
    assert answer.status_code == 403 and "revoked" in answer.text


def test_statistics_page_draws_its_charts(page: Page, server: str) -> None:
    page.goto(f"{server}/exchange/stats")
    expect(page.locator("#exchange-stats-title")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    expect(page.locator("#exchange-chart-requests .main-svg").first).to_be_visible()
    expect(page.locator("#exchange-stats-table")).to_contain_text("arrivals_risk")
    screenshot(page, "exchange-stats")

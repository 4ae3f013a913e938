"""The strict Content-Security-Policy (web/security_headers.py: script-src 'self', no inline
script, no eval) in chromium: the main pages load, draw their charts and run their behaviours
(pages.js) with no CSP violation. One live server and one browser context per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session

from epicontrol.tracing import service
from tests.browser.conftest import db_url  # noqa: F401
from tests.browser.support import keep_on_loopback
from tests.factories import PASSWORD, City
from tests.tracing.store_scenario import NOW, build

# Runs before any page script, in every frame; Playwright injects it past the page's CSP.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


class Watched:
    """A browser context whose CSP violations (events and console reports) are collected."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.console: list[str] = []
        self.outside = keep_on_loopback(context)
        context.add_init_script(WATCH)
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _console(self, message: object) -> None:
        text = getattr(message, "text", "")
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)

    def visit(self, url: str) -> Page:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        return self.page

    def assert_clean(self, where: str) -> None:
        events = self.page.evaluate("window.__csp || []")
        assert not events and not self.console, (
            f"CSP violations on {where}: {events} {self.console}"
        )
        assert self.outside == [], f"{where} reached outside loopback: {self.outside}"


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        geolocation={"latitude": 34.75, "longitude": 113.62},
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    yield Watched(context)
    context.close()


def log_in(watched: Watched, base: str, username: str) -> None:
    page = watched.visit(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_main_pages_run_under_the_strict_csp(
    watched: Watched, live_server: str, city: City, db: Session
) -> None:
    scenario = build(db, city)
    service.trace_case(db, scenario.case_id, now=NOW)
    db.commit()
    base = live_server

    # The public pages: charts drawn from JSON data, the location button fills the form.
    page = watched.visit(f"{base}/public/situation")
    expect(page.locator("#chart-local .main-svg").first).to_be_visible()
    watched.assert_clean("the situation page")
    page = watched.visit(f"{base}/public/self-check")
    page.click("#use-location")
    expect(page.locator("#latitude")).to_have_value("34.75000")
    watched.assert_clean("the public self-check")
    page = watched.visit(f"{base}/public/clinics")
    expect(page.locator("#use-location")).to_be_visible()
    watched.assert_clean("the clinics page")

    # Staff pages, logged in (the login form carries its CSRF field).
    log_in(watched, base, "admin")
    page = watched.visit(f"{base}/dashboard")
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    assert page.locator(".main-svg").count() >= 1
    watched.assert_clean("the dashboard")

    page = watched.visit(f"{base}/workbench/cases/{scenario.case_id}")
    expect(page.locator("#case-chain .main-svg").first).to_be_visible()
    watched.assert_clean("the workbench case")

    # The survey builder's "add a question": htmx without eval, n counted by pages.js.
    page = watched.visit(f"{base}/surveys/new")
    blocks = page.locator("#questions fieldset.question")
    before = blocks.count()
    page.click("#add-question")
    expect(blocks).to_have_count(before + 1)
    expect(page.locator(f"#question-{before + 1}")).to_have_count(1)
    watched.assert_clean("the survey builder")

    # The staff self-check's location button; then log out through the CSRF-protected form.
    page = watched.visit(f"{base}/self-check")
    page.click("#sc-locate")
    expect(page.locator("#sc-lat")).to_have_value("34.75000")
    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{base}/login")
    watched.assert_clean("the staff self-check and logging out")

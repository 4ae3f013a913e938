"""Labour matching in chromium, one live server and one phone page for the whole module: a
resident offers work and applies (English), an officer matches on the board (its chart drawn
by the offline plotly.js), the employer accepts a masked candidate, the resident confirms
(Chinese) and the employer then sees the name and phone; the hire turns yellow, the employer
sees them flagged and releases the seat, and the resident sees the release; the board counts
the release, and the resident, green again, applies again and sees the earlier round. The tests
run in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from epicontrol.core.db import engine_for, session_factory
from tests.browser.support import log_in_page, screenshot
from tests.browser_fixtures import PHONE
from tests.conftest import city_store, serving
from tests.factories import City
from tests.health_code.records import add_fever
from tests.labour.support import clear_fevers, place_city, post_need


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, City, int]]:
    """One SQLite store for the module: the test city with positions and the factory's need."""
    url, city = city_store(sqlite_template, tmp_path_factory.mktemp("labour"))
    with session_factory(engine_for(url))() as db:
        place_city(db, city)
        need_id = post_need(db, city, positions=2)
    yield url, city, need_id
    engine_for(url).dispose()


@pytest.fixture(scope="module")
def server(store: tuple[str, City, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One uvicorn for the module (starting one costs seconds of the two shared cores)."""
    with serving(store[0], tmp_path_factory.mktemp("labour-server")) as base:
        yield base


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    """One phone page for the module; each step logs in as its role."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_resident_offers_work_and_applies(
    page: Page, server: str, store: tuple[str, City, int]
) -> None:
    need_id = store[2]
    log_in_page(page, server, "resident_wang", "/labour/jobs%3Flang%3Den")
    expect(page.locator("#labour-title")).to_have_text("Jobs near me")
    page.check("input[name=skill][value=sewing_machine_operator]")
    page.check("input[name=shift][value=day]")
    for day in ("mon", "tue", "wed"):
        page.check(f"input[name=day][value={day}]")
    page.fill("#max-distance", "10")
    page.click("button.save-profile")
    job = page.locator(f"#job-{need_id}")
    expect(job).to_contain_text("Sewing machine operator")
    job.locator("button.apply").click()
    expect(page.locator("#my-applications .status")).to_have_text(
        "Applied: an officer will look at it"
    )
    screenshot(page, "labour-resident-applied-en")


def test_officer_matches_on_the_board(
    page: Page, server: str, store: tuple[str, City, int]
) -> None:
    _url, city, need_id = store
    log_in_page(page, server, "officer_m1", "/labour/board")
    # plotly.js is 4.8 MB: parsing it on a loaded machine takes seconds.
    expect(page.locator("#labour-chart")).to_have_attribute("data-drawn", "1", timeout=30_000)
    page.click(f"#need-{need_id} button.show-candidates")
    row = page.locator(f"#candidates tr.candidate[data-resident='{city.residents['wang_father']}']")
    expect(row).to_contain_text("王**")
    expect(row).to_contain_text("applied")
    row.locator("button.propose").click()
    expect(row).to_contain_text("proposed")
    screenshot(page, "labour-board")


def test_employer_accepts_a_masked_candidate(
    page: Page, server: str, store: tuple[str, City, int]
) -> None:
    need_id = store[2]
    log_in_page(page, server, "enterprise_s1", "/labour/employer")
    candidate = page.locator(f"#need-{need_id} tr[data-status=proposed]")
    expect(candidate.locator(".name")).to_have_text("王**")
    expect(candidate.locator(".phone")).to_contain_text("shown after confirmation")
    candidate.locator("button.accept").click()
    expect(page.locator(f"#need-{need_id} .filled")).to_have_text("1")
    expect(page.locator(f"#need-{need_id} tr[data-status=accepted]")).to_have_count(1)


def test_resident_confirms_and_the_employer_sees_the_contact(
    page: Page, server: str, store: tuple[str, City, int]
) -> None:
    _url, city, need_id = store
    log_in_page(page, server, "resident_wang", "/labour/jobs%3Flang%3Dzh")
    expect(page.locator("#labour-title")).to_have_text("附近招工")
    page.click("#my-applications button.confirm")
    expect(page.locator("#my-applications .status")).to_have_text("已确认：企业将与您联系")
    screenshot(page, "labour-resident-confirmed-zh")
    log_in_page(page, server, "enterprise_s1", "/labour/employer")
    hire = page.locator(f"#need-{need_id} tr[data-status=confirmed]")
    expect(hire.locator(".name")).to_have_text(city.names["wang_father"])
    expect(hire.locator(".phone")).to_have_text(city.phones["wang_father"])


def test_employer_releases_a_hire_no_longer_green_and_the_resident_sees_it(
    page: Page, server: str, store: tuple[str, City, int]
) -> None:
    url, city, need_id = store
    with session_factory(engine_for(url))() as db:
        add_fever(db, city.residents["wang_father"])
        db.commit()
    log_in_page(page, server, "resident_wang", "/labour/jobs%3Flang%3Den")
    expect(page.locator("#my-applications .not-green-hire")).to_contain_text(
        "do not report to work until it is green again"
    )
    log_in_page(page, server, "enterprise_s1", "/labour/employer")
    expect(page.locator(f"#need-{need_id} tr[data-status=confirmed]")).to_contain_text("现非绿码")
    flag = page.locator(f"#need-{need_id} .hire-not-green")
    expect(flag).to_contain_text(city.names["wang_father"])
    expect(flag).to_contain_text("现非绿码，暂勿到岗")
    screenshot(page, "labour-employer-hire-not-green")
    flag.locator("button.release").click()
    expect(page.locator(f"#need-{need_id} .filled")).to_have_text("0")
    released = page.locator(f"#need-{need_id} tr[data-status=released]")
    expect(released).to_contain_text("已释放名额 released")
    expect(released.locator("button")).to_have_count(0)
    expect(page.locator(f"#need-{need_id} .hire-not-green")).to_have_count(0)
    log_in_page(page, server, "resident_wang", "/labour/jobs%3Flang%3Dzh")
    expect(page.locator("#my-applications .status")).to_have_text(
        "企业已释放名额：您的健康码不是绿码"
    )


def test_the_board_counts_the_release_and_the_resident_applies_again_once_green(
    page: Page, server: str, store: tuple[str, City, int]
) -> None:
    url, city, need_id = store
    log_in_page(page, server, "officer_m1", "/labour/board")
    expect(page.locator(f"#need-{need_id} [data-released]")).to_have_text(
        "已释放名额 released (not green): 1"
    )
    with session_factory(engine_for(url))() as db:
        clear_fevers(db, city.residents["wang_father"])
        db.commit()
    log_in_page(page, server, "resident_wang", "/labour/jobs%3Flang%3Dzh")
    page.click(f"#job-{need_id} button.apply")
    mine = page.locator("#my-applications article[data-status=applied]")
    expect(mine.locator(".earlier")).to_contain_text("此前：企业已释放名额")
    screenshot(page, "labour-resident-applied-again-zh")

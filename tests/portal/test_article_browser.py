"""On a phone in chromium against a real server: a rumor rebuttal drafted, submitted and
published through the API, then read from the rumor list in Chinese and in English."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.auth import issue_token
from epicontrol.core.models import User
from epicontrol.portal.article_seed import seed_articles
from tests.browser.conftest import db_url  # noqa: F401  (SQLite only)
from tests.browser.support import screenshot
from tests.factories import TEST_SECRET, City

PARCELS = {
    "kind": "rumor",
    "title_zh": "从国外寄来的快递会把病毒带进家门",
    "title_en": "Parcels from abroad bring the virus into your home",
    "body_zh": "通过快递包裹感染的风险很低。\n\n拆包后洗手即可。",
    "body_en": "The risk from a parcel is low.\n\nWash your hands after opening it.",
    "source": "世界卫生组织 WHO",
}


def _user_id(db: Session, username: str) -> int:
    user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return user_id


def _headers(db: Session, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET, _user_id(db, username))}"}


def _publish_through_the_api(base: str, db: Session) -> int:
    officer, commander = _headers(db, "officer_m1"), _headers(db, "commander")
    with httpx.Client(base_url=base, timeout=10) as api:
        draft = api.post("/api/articles", json=PARCELS, headers=officer)
        assert draft.status_code == 201, draft.text
        article_id = int(draft.json()["id"])
        assert api.post(f"/api/articles/{article_id}/submit", headers=officer).status_code == 200
        published = api.post(f"/api/articles/{article_id}/publish", headers=commander)
        assert published.json()["state"] == "published"
    return article_id


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def test_a_published_rumor_rebuttal_is_read_on_a_phone_in_chinese_and_english(
    phone: Page, live_server: str, city: City, db: Session
) -> None:
    seed_articles(db, _user_id(db, "commander"))
    db.commit()
    article_id = _publish_through_the_api(live_server, db)

    phone.goto(f"{live_server}/public/rumors?lang=zh")
    first = phone.locator("#article-list li").first
    expect(first).to_have_attribute("data-article", str(article_id))  # newest first
    expect(first.locator(".tag-rumor")).to_have_text("谣言")
    expect(first.locator(".article-title")).to_have_text(PARCELS["title_zh"])
    expect(first.locator(".tag-truth")).to_have_text("真相")
    expect(phone.locator("#pager")).to_contain_text("第 1 页")
    _fits_the_phone(phone)
    screenshot(phone, "portal-articles-rumors-zh")

    first.locator("a").click()
    expect(phone).to_have_url(f"{live_server}/public/articles/{article_id}")
    expect(phone.locator("#rumor-claim h1")).to_have_text(PARCELS["title_zh"])
    expect(phone.locator("#rumor-truth p").first).to_have_text("通过快递包裹感染的风险很低。")
    expect(phone.locator("#article-source")).to_contain_text("来源：世界卫生组织 WHO")
    _fits_the_phone(phone)
    screenshot(phone, "portal-articles-rumor-zh")

    phone.locator("#language-switch a[hreflang=en]").click()
    expect(phone.locator("#rumor-claim .tag-rumor")).to_have_text("Rumor")
    expect(phone.locator("#rumor-claim h1")).to_have_text(PARCELS["title_en"])
    expect(phone.locator("#rumor-truth .tag-truth")).to_have_text("Truth")
    expect(phone.locator("#rumor-truth p")).to_have_count(2)
    _fits_the_phone(phone)
    screenshot(phone, "portal-articles-rumor-en")

    phone.locator("#back-to-list").click()  # the language cookie keeps English
    expect(phone.locator("h1")).to_have_text("Rumor rebuttal")
    expect(phone.locator("#article-list li").first.locator(".article-title")).to_have_text(
        PARCELS["title_en"]
    )
    phone.locator("#pager a[rel=next]").click()
    expect(phone.locator("#pager")).to_contain_text("Page 2 of 2")
    _fits_the_phone(phone)
    screenshot(phone, "portal-articles-rumors-en")

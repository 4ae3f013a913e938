"""The Q&A on a phone in chromium, in Chinese and in English: a question typed, the answer with
its citation, the source opened; an off-topic question gets "no good answer" and the hotline."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.portal.article_models import Article
from epicontrol.portal.article_seed import seed_articles
from tests.browser.conftest import db_url  # noqa: F401
from tests.browser.support import screenshot
from tests.factories import City

GARLIC_ZH = "吃大蒜可以预防新冠病毒感染"


def _seed(db: Session) -> int:
    """The seed's articles, published; returns the id of the garlic rumor's rebuttal."""
    author = db.scalar(select(User.id).where(User.username == "commander"))
    assert author is not None
    seed_articles(db, author)
    db.commit()
    garlic = db.scalar(select(Article.id).where(Article.title_zh == GARLIC_ZH))
    assert garlic is not None
    return garlic


def _ask(page: Page, question: str) -> None:
    page.fill("#qa-q", question)
    page.click("#qa-form button[type=submit]")


def test_qa_on_a_phone_in_chinese_and_english(
    phone: Page, live_server: str, city: City, db: Session, tmp_path: Path
) -> None:
    garlic = _seed(db)
    page = phone
    page.goto(f"{live_server}/public/qa?lang=zh")
    expect(page.locator("#qa-title")).to_have_text("智能问答")
    page.locator("#qa-examples a").first.click()  # a suggested question asks itself
    expect(page.locator("#qa-source-link")).to_have_text("新冠肺炎的潜伏期有多长？")
    expect(page.locator("#qa-examples")).to_have_count(0)
    _ask(page, "多吃大蒜能防新冠吗")
    expect(page.locator("#qa-source-link")).to_have_text(GARLIC_ZH)
    expect(page.locator("#qa-citation .qa-kind")).to_have_text("辟谣")
    expect(page.locator("#qa-passage")).to_contain_text("大蒜")
    expect(page.locator("#qa-citation")).to_contain_text("2020-02-03 发布")
    screenshot(page, "portal-qa-zh")
    page.click("#qa-source-link")
    expect(page).to_have_url(f"{live_server}/public/articles/{garlic}")
    page.go_back()

    page.locator("#language-switch a[hreflang=en]").click()
    expect(page.locator("#qa-title")).to_have_text("Ask a question")
    _ask(page, "can mosquitos transmit the coronavirus")
    expect(page.locator("#qa-source-link")).to_have_text(
        "Mosquito bites spread the new coronavirus"
    )
    expect(page.locator("#qa-citation .qa-kind")).to_have_text("Rumor rebuttal")
    expect(page.locator("#qa-passage")).to_contain_text("mosquito")
    screenshot(page, "portal-qa-en")

    _ask(page, "how do I renew my passport")
    expect(page.locator("#qa-none")).to_contain_text("We have no good answer")
    expect(page.locator("#qa-hotline")).to_have_attribute("href", "tel:12320")
    expect(page.locator("#qa-answer")).to_have_count(0)
    screenshot(page, "portal-qa-none-en")

    # What was asked never reaches the server's log beside the asker's address.
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "/public/qa?[question withheld]" in log
    assert "passport" not in log and "mosquito" not in log

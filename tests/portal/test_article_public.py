"""The public article pages: only published articles, newest first, in the visitor's language,
rumors marked as rumors, bodies shown as escaped text; and the seeded demo content."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.portal.article_models import Article, ArticleKind, ArticleState
from epicontrol.portal.article_seed import seed_articles, seed_demo, seed_entries
from epicontrol.portal.articles import published_articles
from tests.factories import City


def _author(db: Session) -> int:
    found = db.scalar(select(User.id).where(User.username == "epidemiologist"))
    assert found is not None
    return found


def _article(db: Session, state: ArticleState, title: str, **fields: object) -> Article:
    values: dict[str, object] = {
        "kind": ArticleKind.FACT.value,
        "title_zh": f"{title}（中）",
        "title_en": title,
        "body_zh": "正文",
        "body_en": "Text",
        "author_id": _author(db),
        "published_at": datetime(2020, 3, 1, tzinfo=UTC)
        if state == ArticleState.PUBLISHED
        else None,
        **fields,
    }
    article = Article(state=state.value, **values)
    db.add(article)
    db.commit()
    return article


def _listed_ids(html: str) -> list[int]:
    return [
        int(n) for n in re.findall(r'<li class="[^"]*article-card[^"]*" data-article="(\d+)"', html)
    ]


def test_lists_show_only_published_articles_newest_first_in_the_visitors_language(
    client: TestClient, db: Session, city: City
) -> None:
    seed_articles(db, _author(db))
    db.commit()
    for state in (ArticleState.DRAFT, ArticleState.IN_REVIEW, ArticleState.WITHDRAWN):
        _article(db, state, f"Unpublished {state.value}")
    facts = published_articles(db, kinds=[ArticleKind.FACT])
    assert len(facts) >= 15

    first = client.get("/public/facts?lang=en")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=60"
    assert _listed_ids(first.text) == [a.id for a in facts[:10]]
    assert facts[0].title_en in first.text and facts[0].title_zh not in first.text
    assert "Unpublished" not in first.text
    pages = -(-len(facts) // 10)
    assert f"Page 1 of {pages}" in first.text
    last = client.get(f"/public/facts?page={pages}")  # the cookie keeps English
    assert _listed_ids(last.text) == [a.id for a in facts[(pages - 1) * 10 :]]
    assert "Nothing is published here yet." in client.get(f"/public/facts?page={pages + 1}").text

    chinese = client.get("/public/facts?lang=zh").text
    assert facts[0].title_zh in chinese and facts[0].title_en not in chinese
    assert f"第 1 页，共 {pages} 页" in chinese

    rumors = published_articles(db, kinds=[ArticleKind.RUMOR])
    rumor_page = client.get("/public/rumors?lang=zh").text
    assert _listed_ids(rumor_page) == [a.id for a in rumors[:10]]
    assert rumor_page.count('<span class="tag tag-rumor">谣言</span>') == 10
    assert rumor_page.count('<span class="tag tag-truth">真相</span>') == 10
    releases = client.get("/public/releases?lang=en").text
    assert _listed_ids(releases) == [a.id for a in published_articles(db, kinds=["release"])][:10]
    assert 'class="tag tag-rumor"' not in releases

    page_json = client.get("/api/public/articles?kind=rumor&lang=en").json()
    assert page_json["total"] == len(rumors) and page_json["language"] == "en"
    assert [a["id"] for a in page_json["articles"]] == [a.id for a in rumors[:10]]
    assert page_json["articles"][0]["title"] == rumors[0].title_en


def test_an_article_page_shows_a_rumor_then_the_truth_as_escaped_paragraphs(
    client: TestClient, db: Session, city: City
) -> None:
    rumor = _article(
        db,
        ArticleState.PUBLISHED,
        "Hot baths kill the virus <b>fast</b>",
        kind=ArticleKind.RUMOR.value,
        body_en="No. <script>alert(1)</script>\n\nYour body stays at 37°C.\nWash your hands.",
        source="WHO & partners",
    )
    page = client.get(f"/public/articles/{rumor.id}?lang=en").text
    claim = page.index('id="rumor-claim"')
    truth = page.index('id="rumor-truth"')
    assert claim < page.index("Hot baths kill the virus &lt;b&gt;fast&lt;/b&gt;", claim) < truth
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<p>Your body stays at 37°C.<br>Wash your hands.</p>" in page
    assert "Source: WHO &amp; partners" in page
    zh = client.get(f"/public/articles/{rumor.id}?lang=zh").text
    assert "Hot baths kill the virus &lt;b&gt;fast&lt;/b&gt;（中）" in zh and "来源：" in zh

    for state in (ArticleState.DRAFT, ArticleState.IN_REVIEW, ArticleState.WITHDRAWN):
        hidden = _article(db, state, f"Hidden {state.value}")
        assert client.get(f"/public/articles/{hidden.id}").status_code == 404
        assert client.get(f"/api/public/articles/{hidden.id}").status_code == 404
    assert client.get("/public/articles/999999").status_code == 404
    for bad in ("0", "-1", "abc", "10001"):
        assert client.get(f"/public/rumors?page={bad}").status_code == 422
    assert client.get("/api/public/articles?kind=opinion").status_code == 422


def test_the_seed_holds_every_kind_in_both_languages_once(db: Session, city: City) -> None:
    entries = seed_entries()
    counts = {
        kind: sum(e["kind"] == kind for e in entries) for kind in ("fact", "release", "rumor")
    }
    assert counts["fact"] >= 15 and counts["release"] >= 8 and counts["rumor"] >= 10
    assert len({e["slug"] for e in entries}) == len(entries)
    for entry in entries:
        for field in ("title_zh", "title_en", "body_zh", "body_en", "source"):
            assert entry[field].strip(), (entry["slug"], field)
        assert re.search(r"[\u4e00-\u9fff]", entry["title_zh"] + entry["body_zh"]), entry["slug"]
        if entry["kind"] == "fact":  # each fact answers one clear question
            assert entry["title_zh"].endswith("？") and entry["title_en"].endswith("?")

    seed_demo(db)  # in the name of the demo's commander
    assert seed_articles(db, _author(db)) == 0  # again: nothing doubled
    db.commit()
    stored = published_articles(db)
    assert len(stored) == len(entries)
    assert {a.slug for a in stored} == {e["slug"] for e in entries}
    commander = db.scalar(select(User.id).where(User.username == "commander"))
    assert {a.author_id for a in stored} == {commander}

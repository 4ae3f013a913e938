"""The Atom feed: valid Atom 1.0 (RFC 4287's required elements), published articles only,
newest first, one kind and one language at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.portal.article_models import Article, ArticleKind, ArticleState
from epicontrol.portal.article_seed import seed_articles
from epicontrol.portal.articles import published_articles
from tests.factories import City

NS = {"atom": "http://www.w3.org/2005/Atom"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _feed(client: TestClient, query: str) -> ET.Element:
    response = client.get(f"/public/feed.atom?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root


def _one(parent: ET.Element, path: str) -> ET.Element:
    found = parent.findall(path, NS)
    assert len(found) == 1, (path, len(found))
    return found[0]


def _timestamp(element: ET.Element) -> datetime:
    text = element.text or ""
    assert text.endswith("Z"), text  # RFC 3339 in UTC
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _check_required(root: ET.Element) -> list[ET.Element]:
    """The feed's and each entry's required elements (RFC 4287 4.1.1 and 4.1.2)."""
    assert _one(root, "atom:id").text
    assert _one(root, "atom:title").text
    _timestamp(_one(root, "atom:updated"))
    assert _one(root, "atom:author/atom:name").text
    assert _one(root, "atom:link[@rel='self']").get("href")
    entries = root.findall("atom:entry", NS)
    for entry in entries:
        assert (_one(entry, "atom:id").text or "").startswith("http://testserver/public/articles/")
        assert _one(entry, "atom:title").text
        _timestamp(_one(entry, "atom:updated"))
        assert _one(entry, "atom:link[@rel='alternate']").get("href")
        assert _one(entry, "atom:summary").text
    ids = [_one(e, "atom:id").text for e in entries]
    assert len(set(ids)) == len(ids)
    return entries


def test_the_feed_is_atom_with_published_articles_newest_first(
    client: TestClient, db: Session, city: City
) -> None:
    author = db.scalar(select(User.id).where(User.username == "commander"))
    assert author is not None
    empty = _feed(client, "lang=zh")  # a key not asked again (portal/cache.py keeps answers)
    assert _check_required(empty) == []

    seed_articles(db, author)
    db.add(
        Article(
            kind="fact",
            state=ArticleState.IN_REVIEW.value,
            title_zh="未发布",
            title_en="Not yet published",
            body_zh="x",
            body_en="x",
            author_id=author,
        )
    )
    db.add(
        Article(
            kind="release",
            state=ArticleState.PUBLISHED.value,
            title_zh="通告 <一>",
            title_en='Notice "one" & <two>',
            body_zh="正文",
            body_en="Body & <more>",
            author_id=author,
            published_at=datetime(2020, 5, 1, 8, tzinfo=UTC),
        )
    )
    db.commit()
    published = published_articles(db)

    root = _feed(client, "lang=en")
    assert root.get(XML_LANG) == "en"
    entries = _check_required(root)
    assert [_one(e, "atom:id").text for e in entries] == [
        f"http://testserver/public/articles/{a.id}" for a in published
    ]
    titles = [_one(e, "atom:title").text for e in entries]
    assert titles[0] == 'Notice "one" & <two>'  # escaped in the XML, intact once parsed
    assert "Not yet published" not in titles
    assert _timestamp(_one(root, "atom:updated")) == datetime(2020, 5, 1, 8, tzinfo=UTC)
    updated = [_timestamp(_one(e, "atom:updated")) for e in entries]
    assert updated == sorted(updated, reverse=True)
    link = _one(entries[0], "atom:link[@rel='alternate']").get("href")
    assert link == f"http://testserver/public/articles/{published[0].id}?lang=en"
    assert client.get(link or "").status_code == 200


def test_one_kind_in_one_language_marks_each_rumor_as_a_rumor(
    client: TestClient, db: Session, city: City
) -> None:
    author = db.scalar(select(User.id).where(User.username == "commander"))
    assert author is not None
    seed_articles(db, author)
    db.commit()
    rumors = published_articles(db, kinds=[ArticleKind.RUMOR])

    root = _feed(client, "kind=rumor&lang=zh")
    assert root.get(XML_LANG) == "zh-CN"
    assert _one(root, "atom:title").text == "辟谣 · 疫情防控"
    entries = _check_required(root)
    assert len(entries) == len(rumors)
    for entry, rumor in zip(entries, rumors, strict=True):
        assert _one(entry, "atom:title").text == f"谣言：{rumor.title_zh}"
        assert _one(entry, "atom:category").get("term") == "rumor"
        assert _one(entry, "atom:content").text == rumor.body_zh

    english = _check_required(_feed(client, "kind=rumor&lang=en"))
    assert _one(english[0], "atom:title").text == f"Rumor: {rumors[0].title_en}"
    facts = _check_required(_feed(client, "kind=fact&lang=en"))
    assert {_one(e, "atom:category").get("term") for e in facts} == {"fact"}
    assert client.get("/public/feed.atom?kind=opinion").status_code == 422

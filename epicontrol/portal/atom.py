"""The Atom 1.0 feed (RFC 4287) of published releases, rumor rebuttals and basic facts.

One feed per kind and language (`/public/feed.atom?kind=rumor&lang=en`); entry ids are the
articles' public addresses, which never change. Built with ElementTree so every text is
escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from epicontrol.core.i18n import gettext as _
from epicontrol.portal.article_models import Article, ArticleKind
from epicontrol.portal.article_text import summary
from epicontrol.portal.articles import title_and_body

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml"
FEED_ENTRIES = 50
# When nothing is published yet, the feed still needs an <updated>: the platform's first day.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
LIST_PATHS = {
    ArticleKind.RELEASE: "/public/releases",
    ArticleKind.RUMOR: "/public/rumors",
    ArticleKind.FACT: "/public/facts",
}

ET.register_namespace("", ATOM_NS)


def kind_title(kind: ArticleKind | None) -> str:
    """The name of a kind's list (and feed) in the current language."""
    if kind == ArticleKind.RELEASE:
        return _("Releases")
    if kind == ArticleKind.RUMOR:
        return _("Rumor rebuttal")
    if kind == ArticleKind.FACT:
        return _("Basic facts")
    return _("Releases, rumor rebuttals and basic facts")


def entry_title(article: Article, language: str) -> str:
    """The title as a list or feed shows it: a rumor is marked as one, never stated bare."""
    title = title_and_body(article, language)[0]
    return _("Rumor: %(claim)s", claim=title) if article.kind == ArticleKind.RUMOR else title


def feed_xml(
    articles: Sequence[Article], *, base_url: str, kind: ArticleKind | None, language: str
) -> bytes:
    """The Atom document of `articles` (newest first) in `language`."""
    base = base_url.rstrip("/")
    query = {"kind": kind.value} if kind else {}
    feed = ET.Element(_tag("feed"), {XML_LANG: "zh-CN" if language == "zh" else "en"})
    _text(feed, "id", f"{base}/public/feed.atom?{urlencode({**query, 'lang': language})}")
    _text(feed, "title", f"{kind_title(kind)} · {_('Epidemic prevention and control')}")
    newest = max((a.published_at for a in articles if a.published_at), default=EPOCH)
    _text(feed, "updated", _timestamp(newest))
    author = ET.SubElement(feed, _tag("author"))
    _text(author, "name", _("City epidemic prevention and control headquarters"))
    _link(
        feed,
        "self",
        f"{base}/public/feed.atom?{urlencode({**query, 'lang': language})}",
        MEDIA_TYPE,
    )
    listing = LIST_PATHS[kind] if kind else "/public"
    _link(feed, "alternate", f"{base}{listing}?lang={language}", "text/html")
    _text(feed, "generator", "epicontrol")
    for article in articles:
        _entry(feed, article, base=base, language=language)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ET.Element, article: Article, *, base: str, language: str) -> None:
    published = article.published_at or article.updated_at
    body = title_and_body(article, language)[1]
    entry = ET.SubElement(feed, _tag("entry"))
    _text(entry, "id", f"{base}/public/articles/{article.id}")
    _text(entry, "title", entry_title(article, language))
    _text(entry, "updated", _timestamp(published))
    _text(entry, "published", _timestamp(published))
    if article.source:
        author = ET.SubElement(entry, _tag("author"))
        _text(author, "name", article.source)
    _link(entry, "alternate", f"{base}/public/articles/{article.id}?lang={language}", "text/html")
    ET.SubElement(
        entry,
        _tag("category"),
        {"term": article.kind, "label": kind_title(ArticleKind(article.kind))},
    )
    _text(entry, "summary", summary(body), type="text")
    _text(entry, "content", body, type="text")


def _tag(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def _text(parent: ET.Element, name: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name), attributes)
    element.text = text
    return element


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, _tag("link"), {"rel": rel, "href": href, "type": media_type})


def _timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom's date constructs require."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

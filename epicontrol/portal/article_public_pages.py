"""The public pages of releases, rumor rebuttals and basic facts, in the visitor's language.

- GET /public/releases, /public/rumors, /public/facts   newest first, ?page= (10 a page)
- GET /public/articles/{id}                             one published article
Bodies are plain text shown escaped, paragraph by paragraph (article_text.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from epicontrol.core.deps import DbSession
from epicontrol.core.i18n import current_language
from epicontrol.core.i18n import gettext as _
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.portal import articles
from epicontrol.portal.article_models import Article, ArticleKind
from epicontrol.portal.article_text import paragraphs, summary
from epicontrol.portal.atom import LIST_PATHS, kind_title
from epicontrol.web.templating import render

router = APIRouter()
# Articles change a few times a day; a minute in a shared cache takes a rush. The language
# comes from the cookie or the browser, so caches keep one copy per language.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie"}
Page = Annotated[int, Query(ge=1, le=10_000, description="page number, from 1")]


@dataclass(frozen=True, slots=True)
class ArticleCard:
    """One article of a list, in the visitor's language."""

    id: int
    kind: str
    title: str
    summary: str
    date: str
    iso: str
    source: str


@router.get("/public/releases", include_in_schema=False)
def releases_page(request: Request, db: DbSession, page: Page = 1) -> Response:
    """Authoritative releases (权威发布), newest first."""
    return _list_page(request, db, ArticleKind.RELEASE, page)


@router.get("/public/rumors", include_in_schema=False)
def rumors_page(request: Request, db: DbSession, page: Page = 1) -> Response:
    """Rumor rebuttals (辟谣): each rumor marked as one, then the truth."""
    return _list_page(request, db, ArticleKind.RUMOR, page)


@router.get("/public/facts", include_in_schema=False)
def facts_page(request: Request, db: DbSession, page: Page = 1) -> Response:
    """Basic facts (防护知识) about the disease and protection."""
    return _list_page(request, db, ArticleKind.FACT, page)


@router.get("/public/articles/{article_id}", include_in_schema=False)
def article_page(request: Request, db: DbSession, article_id: int) -> Response:
    """One published article; others are not found (404)."""
    article = articles.published_article(db, article_id=article_id)
    language = current_language()
    title, body = articles.title_and_body(article, language)
    kind = ArticleKind(article.kind)
    context = {
        "article": _card(article, language),
        "title": title,
        "paragraphs": paragraphs(body),
        "kind_title": kind_title(kind),
        "list_url": LIST_PATHS[kind],
        "feed_url": f"/public/feed.atom?kind={kind.value}&lang={language}",
    }
    return _cached(render(request, "portal_article.html", context))


def _list_page(request: Request, db: DbSession, kind: ArticleKind, page: int) -> Response:
    language = current_language()
    total = articles.count_published(db, kind=kind)
    found = articles.published_page(db, kind=kind, page=page)
    context = {
        "kind": kind.value,
        "heading": kind_title(kind),
        "intro": _intro(kind),
        "cards": [_card(article, language) for article in found],
        "page": page,
        "pages": articles.page_count(total),
        "total": total,
        "list_url": LIST_PATHS[kind],
        "feed_url": f"/public/feed.atom?kind={kind.value}&lang={language}",
    }
    return _cached(render(request, "portal_articles.html", context))


def _cached(response: Response) -> Response:
    response.headers.update(PUBLIC_CACHE)
    return response


def _intro(kind: ArticleKind) -> str:
    if kind == ArticleKind.RELEASE:
        return _("Notices and figures issued by the city's headquarters and health authorities.")
    if kind == ArticleKind.RUMOR:
        return _("Claims going round, each followed by what is true.")
    return _("What to know about the disease and how to protect yourself and your family.")


def _card(article: Article, language: str) -> ArticleCard:
    title, body = articles.title_and_body(article, language)
    published = article.published_at or article.updated_at
    return ArticleCard(
        id=article.id,
        kind=article.kind,
        title=title,
        summary=summary(body),
        date=_date(published),
        iso=published.isoformat(timespec="seconds"),
        source=article.source,
    )


def _date(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d")

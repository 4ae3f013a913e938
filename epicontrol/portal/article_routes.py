"""Releases, rumor rebuttals and basic facts: drafting, review, publication, Atom (helper D).

Staff API (ARTICLE_WRITE drafts, ARTICLE_PUBLISH reviews; article_workflow.py):
- GET  /api/articles?state=&kind=        newest first
- POST /api/articles                     a draft in both languages (201)
- GET  /api/articles/{id}
- PUT  /api/articles/{id}                the author rewrites their draft; 409 once submitted
- POST /api/articles/{id}/submit         the author: draft -> in review
- POST /api/articles/{id}/publish        another reviewer: in review -> published ({note})
- POST /api/articles/{id}/send-back      another reviewer: in review -> draft ({note} required)
- POST /api/articles/{id}/withdraw       a reviewer: published -> withdrawn ({note} required)
Public (anonymous, in the request's language):
- GET  /api/public/articles?kind=&page=, /api/public/articles/{id}
- GET  /public/feed.atom?kind=&lang=     Atom 1.0
Pages: article_public_pages.py (/public/...) and article_staff_pages.py (/articles...).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.i18n import current_language
from epicontrol.core.policy import Permission
from epicontrol.portal import article_workflow as workflow
from epicontrol.portal import articles
from epicontrol.portal.article_models import Article, ArticleKind, ArticleState
from epicontrol.portal.article_public_pages import PUBLIC_CACHE, Page
from epicontrol.portal.article_public_pages import router as public_pages_router
from epicontrol.portal.article_schemas import (
    ArticleIn,
    ArticleOut,
    PublicArticle,
    PublicArticlePage,
    ReasonIn,
    ReviewIn,
)
from epicontrol.portal.article_staff_pages import router as staff_pages_router
from epicontrol.portal.atom import FEED_ENTRIES, MEDIA_TYPE, feed_xml

router = APIRouter()
Writer = Annotated[Principal, Depends(require(Permission.ARTICLE_WRITE))]
Reviewer = Annotated[Principal, Depends(require(Permission.ARTICLE_PUBLISH))]


@router.get("/api/articles", tags=["articles"])
def list_articles(
    db: DbSession,
    principal: Writer,
    state: ArticleState | None = None,
    kind: ArticleKind | None = None,
) -> list[ArticleOut]:
    """Articles in every state, newest change first (up to 200)."""
    found = workflow.list_for_staff(db, state=state, kind=kind)
    return [ArticleOut.model_validate(article) for article in found]


@router.post("/api/articles", status_code=201, tags=["articles"])
def create_article(db: DbSession, principal: Writer, data: ArticleIn) -> ArticleOut:
    """A draft by the caller; titles and bodies in both languages are required."""
    article = workflow.create(db, principal=principal, data=data, now=utcnow())
    return ArticleOut.model_validate(article)


@router.get("/api/articles/{article_id}", tags=["articles"])
def read_article(db: DbSession, principal: Writer, article_id: int) -> ArticleOut:
    """One article, whatever its state."""
    return ArticleOut.model_validate(workflow.get(db, article_id=article_id))


@router.put("/api/articles/{article_id}", tags=["articles"])
def update_article(
    db: DbSession, principal: Writer, article_id: int, data: ArticleIn
) -> ArticleOut:
    """The author rewrites their draft; 409 once it is in review or published."""
    article = workflow.update(
        db, principal=principal, article_id=article_id, data=data, now=utcnow()
    )
    return ArticleOut.model_validate(article)


@router.post("/api/articles/{article_id}/submit", tags=["articles"])
def submit_article(db: DbSession, principal: Writer, article_id: int) -> ArticleOut:
    """The author hands the draft to a reviewer."""
    article = workflow.submit(db, principal=principal, article_id=article_id, now=utcnow())
    return ArticleOut.model_validate(article)


@router.post("/api/articles/{article_id}/publish", tags=["articles"])
def publish_article(
    db: DbSession, principal: Reviewer, article_id: int, data: ReviewIn | None = None
) -> ArticleOut:
    """A reviewer who is not the author publishes (403 for the author: four eyes)."""
    note = data.note if data else ""
    article = workflow.publish(
        db, principal=principal, article_id=article_id, note=note, now=utcnow()
    )
    return ArticleOut.model_validate(article)


@router.post("/api/articles/{article_id}/send-back", tags=["articles"])
def send_back_article(
    db: DbSession, principal: Reviewer, article_id: int, data: ReasonIn
) -> ArticleOut:
    """A reviewer who is not the author returns it to draft, saying what to change."""
    article = workflow.send_back(
        db, principal=principal, article_id=article_id, note=data.note, now=utcnow()
    )
    return ArticleOut.model_validate(article)


@router.post("/api/articles/{article_id}/withdraw", tags=["articles"])
def withdraw_article(
    db: DbSession, principal: Reviewer, article_id: int, data: ReasonIn
) -> ArticleOut:
    """Off the public site, the feed and the Q&A, with the reason."""
    article = workflow.withdraw(
        db, principal=principal, article_id=article_id, note=data.note, now=utcnow()
    )
    return ArticleOut.model_validate(article)


@router.get("/api/public/articles", tags=["public"])
def public_articles(
    request: Request,
    response: Response,
    db: DbSession,
    kind: ArticleKind | None = None,
    page: Page = 1,
) -> PublicArticlePage:
    """Published articles in the request's language (?lang=), newest first, 10 a page."""
    language = current_language()
    total = articles.count_published(db, kind=kind)
    found = articles.published_page(db, kind=kind, page=page)
    response.headers.update(PUBLIC_CACHE)
    return PublicArticlePage(
        kind=kind,
        language=language,
        page=page,
        pages=articles.page_count(total),
        total=total,
        articles=[_public(request, article, language) for article in found],
    )


@router.get("/api/public/articles/{article_id}", tags=["public"])
def public_article(
    request: Request, response: Response, db: DbSession, article_id: int
) -> PublicArticle:
    """One published article in the request's language; 404 for any other."""
    article = articles.published_article(db, article_id=article_id)
    response.headers.update(PUBLIC_CACHE)
    return _public(request, article, current_language())


@router.get("/public/feed.atom", tags=["public"])
def atom_feed(request: Request, db: DbSession, kind: ArticleKind | None = None) -> Response:
    """The newest 50 published articles (of one kind) as Atom 1.0 in the request's language."""
    found = articles.published_page(db, kind=kind, page=1, per_page=FEED_ENTRIES)
    body = feed_xml(found, base_url=str(request.base_url), kind=kind, language=current_language())
    return Response(body, media_type=MEDIA_TYPE, headers=PUBLIC_CACHE)


def _public(request: Request, article: Article, language: str) -> PublicArticle:
    title, body = articles.title_and_body(article, language)
    return PublicArticle(
        id=article.id,
        kind=ArticleKind(article.kind),
        language=language,
        title=title,
        body=body,
        source=article.source,
        published_at=article.published_at or article.updated_at,
        url=f"{str(request.base_url).rstrip('/')}/public/articles/{article.id}?lang={language}",
    )


router.include_router(public_pages_router)
router.include_router(staff_pages_router)

"""Reading published articles: the public pages, the Atom feed and the Q&A (portal/qa*.py).

Drafting and review are in article_workflow.py."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from epicontrol.core.errors import NotFound
from epicontrol.portal.article_models import Article, ArticleKind, ArticleState

PER_PAGE = 10


def published_articles(
    db: Session, *, kinds: Iterable[ArticleKind | str] | None = None
) -> list[Article]:
    """Published articles of the given kinds (all kinds when None), newest first."""
    query = select(Article).where(Article.state == ArticleState.PUBLISHED.value)
    if kinds is not None:
        query = query.where(Article.kind.in_([str(kind) for kind in kinds]))
    query = query.order_by(Article.published_at.desc(), Article.id.desc())
    return list(db.scalars(query))


def count_published(db: Session, *, kind: ArticleKind | None = None) -> int:
    """How many articles (of one kind) are public."""
    query = select(func.count()).select_from(Article).where(_is_public(kind))
    return int(db.scalar(query) or 0)


def published_page(
    db: Session, *, kind: ArticleKind | None, page: int, per_page: int = PER_PAGE
) -> list[Article]:
    """Page `page` (from 1) of the published articles of `kind`, newest first."""
    query = (
        select(Article)
        .where(_is_public(kind))
        .order_by(Article.published_at.desc(), Article.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(db.scalars(query))


def published_article(db: Session, *, article_id: int) -> Article:
    """One published article; drafts, articles in review and withdrawn ones are not found."""
    article = db.scalar(select(Article).where(Article.id == article_id, _is_public(None)))
    if article is None:
        raise NotFound(f"no published article {article_id}")
    return article


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """Pages needed for `total` articles (at least one, which may be empty)."""
    return max(1, -(-total // per_page))


def title_and_body(article: Article, language: str) -> tuple[str, str]:
    """The article's title and body in `language` ("zh" or "en")."""
    if language == "en":
        return article.title_en, article.body_en
    return article.title_zh, article.body_zh


def _is_public(kind: ArticleKind | None) -> ColumnElement[bool]:
    condition = Article.state == ArticleState.PUBLISHED.value
    if kind is not None:
        condition = and_(condition, Article.kind == kind.value)
    return condition

"""Articles service: reading published articles (the Q&A and the public pages use it)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.portal.article_models import Article, ArticleKind, ArticleState


def published_articles(
    db: Session, *, kinds: Iterable[ArticleKind | str] | None = None
) -> list[Article]:
    """Published articles of the given kinds (all kinds when None), newest first."""
    query = select(Article).where(Article.state == ArticleState.PUBLISHED.value)
    if kinds is not None:
        query = query.where(Article.kind.in_([str(kind) for kind in kinds]))
    query = query.order_by(Article.published_at.desc(), Article.id.desc())
    return list(db.scalars(query))

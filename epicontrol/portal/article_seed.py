"""Seeded portal content: basic facts, rumor rebuttals and releases from data/articles_seed.json.

The demo shows them and the Q&A held set (helper E's) refers to them by slug. They are stored
as already published: they stand for content an officer and a reviewer passed before the demo.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.portal.article_models import Article, ArticleKind, ArticleState

SEED_PATH = Path(__file__).resolve().parent / "data" / "articles_seed.json"
SEED_NOTE = "seeded demo content"


@cache
def seed_entries() -> tuple[dict[str, Any], ...]:
    """The seed file's articles (slug, kind, published_at, title_zh/en, body_zh/en, source)."""
    document = json.loads(SEED_PATH.read_text(encoding="utf-8"))
    return tuple(document["articles"])


def seed_articles(db: Session, author_id: int) -> int:
    """Store the seed's articles not stored yet (by slug) as published; returns how many."""
    known = set(db.scalars(select(Article.slug).where(Article.slug.is_not(None))))
    added = 0
    for entry in seed_entries():
        if entry["slug"] in known:
            continue
        db.add(_article(entry, author_id))
        added += 1
    db.flush()
    return added


def _article(entry: dict[str, Any], author_id: int) -> Article:
    published = datetime.fromisoformat(entry["published_at"]).astimezone(UTC)
    return Article(
        slug=entry["slug"],
        kind=ArticleKind(entry["kind"]).value,
        state=ArticleState.PUBLISHED.value,
        title_zh=entry["title_zh"],
        title_en=entry["title_en"],
        body_zh=entry["body_zh"],
        body_en=entry["body_en"],
        source=entry["source"],
        author_id=author_id,
        review_note=SEED_NOTE,
        created_at=published,
        updated_at=published,
        submitted_at=published,
        published_at=published,
    )


def seed_demo(db: Session) -> None:
    """The demo's articles, written in the name of its commander (else an admin); no-op without
    either. Does not commit: the demo builder owns the transaction."""
    for role in (Role.COMMANDER, Role.ADMIN):
        author_id = db.scalar(
            select(User.id).where(User.role == role.value).order_by(User.id).limit(1)
        )
        if author_id is not None:
            seed_articles(db, author_id)
            return

"""Articles of the public portal: authoritative releases, rumor rebuttals and basic facts.

Each article carries both languages; officers draft, another officer reviews and publishes.
The Q&A (portal/qa*.py) answers only from published articles.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epicontrol.core.db import Base, UTCDateTime, utcnow


class ArticleKind(StrEnum):
    """What an article is."""

    RELEASE = "release"  # 权威发布: an authoritative release (figures, measures, notices)
    RUMOR = "rumor"  # 辟谣: the title states the rumor, the body rebuts it
    FACT = "fact"  # 防护知识: basic facts about the disease and protection


class ArticleState(StrEnum):
    """An article's life: drafted, submitted for review, published (or sent back), withdrawn."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Article(Base):
    """One article in Chinese and English; only `published` ones are public."""

    __tablename__ = "portal_articles"
    __table_args__ = (
        Index("ix_portal_articles_kind_state", "kind", "state", "published_at"),
        Index("ix_portal_articles_slug", "slug", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A stable key for seeded content (articles_seed.json), which the Q&A held set refers to;
    # None for articles officers write.
    slug: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=ArticleState.DRAFT.value)
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200), default="")  # issuing body, for citation
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Articles as the API takes and shows them: an officer's draft, a review, a public article."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from epicontrol.portal.article_models import ArticleKind, ArticleState

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
RequiredNote = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]


class ArticleIn(BaseModel):
    """A draft as an officer writes it: both languages are required."""

    model_config = ConfigDict(extra="forbid")

    kind: ArticleKind
    title_zh: Title
    title_en: Title
    body_zh: Body
    body_en: Body
    source: Source = ""


class ReviewIn(BaseModel):
    """A reviewer's note: optional when publishing."""

    model_config = ConfigDict(extra="forbid")

    note: Note = ""


class ReasonIn(BaseModel):
    """Why an article goes back to its author or off the public site: required."""

    model_config = ConfigDict(extra="forbid")

    note: RequiredNote


class ArticleOut(BaseModel):
    """An article as staff see it, both languages and its review state."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str | None
    kind: ArticleKind
    state: ArticleState
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    source: str
    author_id: int
    reviewer_id: int | None
    review_note: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None


class PublicArticle(BaseModel):
    """A published article in one language, as the public API shows it."""

    id: int
    kind: ArticleKind
    language: str
    title: str
    body: str
    source: str
    published_at: datetime
    url: str


class PublicArticlePage(BaseModel):
    """One page of published articles, newest first."""

    kind: ArticleKind | None
    language: str
    page: int
    pages: int
    total: int
    articles: list[PublicArticle] = Field(default_factory=list)

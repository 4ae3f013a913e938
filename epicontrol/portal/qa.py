"""Intelligent Q&A: answers a resident's question from the published facts, releases and rumor
rebuttals, citing the article, or says that it has no good answer (qa_index.py has the rule)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.errors import InvalidInput
from epicontrol.core.i18n import LANGUAGES
from epicontrol.core.i18n import gettext as _
from epicontrol.core.local_time import local_date
from epicontrol.portal.article_models import Article, ArticleState
from epicontrol.portal.articles import published_articles
from epicontrol.portal.qa_index import Document, Hit, LanguageIndex

# A question, not an essay: longer input is refused (422) before any tokenising.
MAX_QUESTION_CHARS = 200
# Articles offered besides the answer ("see also"), when they are answers in their own right.
RELATED_LIMIT = 2


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from: the article as the public pages show it."""

    article_id: int
    title: str
    kind: str
    source: str
    published_at: datetime | None

    @property
    def published_on(self) -> date | None:
        """The China date of publication, as the article pages show it."""
        return local_date(self.published_at) if self.published_at else None

    @property
    def url(self) -> str:
        """The article's public page."""
        return f"/public/articles/{self.article_id}"


@dataclass(frozen=True)
class Answer:
    """The answer to a question: a passage and its citation, or none (`found` false)."""

    question: str
    language: str
    found: bool
    passage: str | None
    citation: Citation | None
    score: float
    coverage: float
    related: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class CorpusIndex:
    """Both languages' indexes over one set of published articles, with their citations."""

    signature: tuple[object, ...]
    indexes: dict[str, LanguageIndex]
    citations: dict[str, dict[int, Citation]]


def build_index(articles: list[Article], signature: tuple[object, ...] = ()) -> CorpusIndex:
    """Indexes of `articles` in every language."""
    indexes: dict[str, LanguageIndex] = {}
    citations: dict[str, dict[int, Citation]] = {}
    for language in LANGUAGES:
        documents = [
            Document(
                article.id, _field(article, "title", language), _field(article, "body", language)
            )
            for article in articles
        ]
        indexes[language] = LanguageIndex(language, documents)
        citations[language] = {article.id: _citation(article, language) for article in articles}
    return CorpusIndex(signature=signature, indexes=indexes, citations=citations)


def _field(article: Article, name: str, language: str) -> str:
    return str(getattr(article, f"{name}_{language}") or "")


def _citation(article: Article, language: str) -> Citation:
    return Citation(
        article_id=article.id,
        title=_field(article, "title", language),
        kind=article.kind,
        source=article.source,
        published_at=article.published_at,
    )


def published_signature(db: Session) -> tuple[object, ...]:
    """A cheap fingerprint of the published set: publishing, withdrawing or editing a published
    article changes the count, an id sum or a timestamp (one aggregate query per question)."""
    row = db.execute(
        select(
            func.count(Article.id),
            func.coalesce(func.sum(Article.id), 0),
            func.max(Article.updated_at),
            func.max(Article.published_at),
        ).where(Article.state == ArticleState.PUBLISHED.value)
    ).one()
    return tuple(row)


class IndexCache:
    """The current index of each database, rebuilt when its published set changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_store: dict[str, CorpusIndex] = {}
        self.builds = 0  # how many times an index was built (tests check it is not per question)

    def current(self, db: Session) -> CorpusIndex:
        """The index of `db`'s published articles as they are now."""
        store = db.get_bind().engine.url.render_as_string(hide_password=True)
        signature = published_signature(db)
        cached = self._by_store.get(store)
        if cached is not None and cached.signature == signature:
            return cached
        with self._lock:  # one build at a time; a rush of questions waits for it
            cached = self._by_store.get(store)
            if cached is None or cached.signature != signature:
                cached = build_index(published_articles(db), signature)
                self._by_store[store] = cached
                self.builds += 1
            return cached


INDEXES = IndexCache()


def check_question(question: str, language: str) -> str:
    """The question stripped, or InvalidInput for an empty, overlong or wrong-language one."""
    if language not in LANGUAGES:
        raise InvalidInput(_("The language must be zh or en."))
    text = " ".join(question.split())
    if not text:
        raise InvalidInput(_("Please type a question."))
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            _("Please shorten your question to %(n)s characters or fewer.", n=MAX_QUESTION_CHARS)
        )
    return text


def answer(db: Session, question: str, language: str, *, cache: IndexCache = INDEXES) -> Answer:
    """The best published passage for `question` in `language`, cited, or no answer."""
    text = check_question(question, language)
    corpus = cache.current(db)
    hits = corpus.indexes[language].search(text, limit=1 + RELATED_LIMIT)
    return _answer(text, language, hits, corpus.citations[language])


def _answer(text: str, language: str, hits: list[Hit], citations: dict[int, Citation]) -> Answer:
    best = hits[0] if hits else None
    if best is None or not best.is_answer:
        return Answer(
            question=text,
            language=language,
            found=False,
            passage=None,
            citation=None,
            score=best.score if best else 0.0,
            coverage=best.coverage if best else 0.0,
        )
    related = tuple(citations[hit.article_id] for hit in hits[1:] if hit.is_answer)
    return Answer(
        question=text,
        language=language,
        found=True,
        passage=best.passage,
        citation=citations[best.article_id],
        score=best.score,
        coverage=best.coverage,
        related=related,
    )

"""JSON of the Q&A API (GET /api/public/qa)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from epicontrol.portal.qa import Answer, Citation


class CitationOut(BaseModel):
    """The article an answer comes from."""

    article_id: int
    title: str
    kind: str
    source: str
    published_at: datetime | None
    published_on: date | None
    url: str

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        """The JSON of a citation."""
        return cls(
            article_id=citation.article_id,
            title=citation.title,
            kind=citation.kind,
            source=citation.source,
            published_at=citation.published_at,
            published_on=citation.published_on,
            url=citation.url,
        )


class AnswerOut(BaseModel):
    """An answer with its citation, or `found: false` and the pages to look at instead."""

    question: str
    language: str
    found: bool
    answer: str | None
    citation: CitationOut | None
    related: list[CitationOut]
    score: float
    coverage: float
    see_instead: list[str]

    @classmethod
    def of(cls, answer: Answer, see_instead: list[str]) -> AnswerOut:
        """The JSON of an answer; `see_instead` only when there is none."""
        return cls(
            question=answer.question,
            language=answer.language,
            found=answer.found,
            answer=answer.passage,
            citation=CitationOut.of(answer.citation) if answer.citation else None,
            related=[CitationOut.of(c) for c in answer.related],
            score=round(answer.score, 3),
            coverage=round(answer.coverage, 3),
            see_instead=[] if answer.found else see_instead,
        )
